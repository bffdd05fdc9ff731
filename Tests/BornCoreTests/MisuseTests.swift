import Born
import Testing

/// Every misuse stops the process with a message naming the op, the shapes and the dtypes.
/// Each case runs in a child process (an exit test) and its standard error is checked.
@Suite("Misuse stops with a clear message")
struct MisuseTests {

  @Test func broadcastMismatch() async {
    await #expect(processExitsWith: .failure) {
      _ = Tensor<Float, CPU>.ones([2, 3]) + Tensor<Float, CPU>.ones([3, 2])
    }
  }

  @Test func messagesNameOpShapesAndDTypes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([2, 3]).matmul(Tensor<Float, CPU>.ones([4, 5]))
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("matmul"))
    #expect(text.contains("f32[2, 3]"))
    #expect(text.contains("f32[4, 5]"))
  }

  @Test func axisOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([2, 3]).sum(axis: 2)
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("sum") && text.contains("axis 2") && text.contains("[2, 3]"))
  }

  @Test func badReshape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([2, 3]).reshaped([4, 2])
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("reshaped") && text.contains("f32[2, 3]") && text.contains("[4, 2]"))
  }

  @Test func indexOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([4, 2]).indexSelect(axis: 0, [1, 4])
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("indexSelect") && text.contains("index 4") && text.contains("f32[4, 2]"))
  }

  @Test func subscriptOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([4, 2])[0, 5]
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("subscript") && text.contains("index 5"))
  }

  @Test func conv2dShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([1, 3, 8, 8]).conv2d(Tensor<Float, CPU>.ones([4, 2, 3, 3]))
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("conv2d") && text.contains("f32[1, 3, 8, 8]") && text.contains("f32[4, 2, 3, 3]"))
  }

  @Test func catMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Int32, CPU>.cat([.ones([2, 3]), .ones([2, 4])], axis: 0)
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("cat") && text.contains("i32[2, 4]"))
  }

  @Test func itemOnManyElements() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([3]).item()
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("item") && text.contains("[3]"))
  }

  @Test func topKTooLarge() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor<Float, CPU>.ones([3]).topK(4)
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("topK") && text.contains("k = 4"))
  }
}
