import Born
import BornCPU
import BornTestSupport
import Testing

/// A Born result ready to compare: values as Doubles, shape, and the dtype for tolerances.
struct Result {
  var values: [Double]
  var shape: [Int]
  var dtype: DType
  init<E: TensorElement>(_ t: Tensor<E, CPU>) {
    (values, shape) = BornTestSupport.values(t)
    dtype = E.dtype
  }
}

/// Runs one fixture case on the CPU backend.
func run(_ c: FixtureCase) -> [Result] {
  switch c.inputs.first?.dtype {
  case "f32": return runNumeric(c, Float.self) ?? runFloat(c, Float.self)
  case "f64": return runNumeric(c, Double.self) ?? runFloat(c, Double.self)
  case "i32": return runNumeric(c, Int32.self) ?? runInteger(c, Int32.self)
  case "i64": return runNumeric(c, Int64.self) ?? runInteger(c, Int64.self)
  case "bool": return runBool(c)
  default: fatalError("fixture \(c.name): unsupported input dtype")
  }
}

func axesArg(_ c: FixtureCase) -> [Int]? {
  if case .null = c.args["axes"] ?? .null { return nil }
  return c.args["axes"]?.ints
}

/// Ops defined for every numeric type; nil when the op is not one of them.
/// The first input, transposed when the case asks for a non-contiguous view.
func firstInput<E: TensorElement>(_ c: FixtureCase, _: E.Type) -> Tensor<E, CPU> {
  let x = c.inputs[0].tensor(E.self)
  return c.args["transpose_input"]?.bool == true ? x.T : x
}

func runNumeric<E: NumericElement>(_ c: FixtureCase, _: E.Type) -> [Result]? {
  let x = firstInput(c, E.self)
  func second() -> Tensor<E, CPU> { c.inputs[1].tensor(E.self) }
  let keep = c.args["keep"]?.bool ?? false
  switch c.op {
  case "add": return [Result(x + second())]
  case "sub": return [Result(x - second())]
  case "mul": return [Result(x * second())]
  case "div": return [Result(x / second())]
  case "maximum": return [Result(x.maximum(second()))]
  case "minimum": return [Result(x.minimum(second()))]
  case "neg": return [Result(-x)]
  case "abs": return [Result(x.abs())]
  case "square": return [Result(x.square())]
  case "sign": return [Result(x.sign())]
  case "relu": return [Result(x.relu())]
  case "eq": return [Result(x .== second())]
  case "ne": return [Result(x .!= second())]
  case "lt": return [Result(x .< second())]
  case "le": return [Result(x .<= second())]
  case "gt": return [Result(x .> second())]
  case "ge": return [Result(x .>= second())]
  case "sum": return [Result(x.sum(axes: axesArg(c), keepingDims: keep))]
  case "prod": return [Result(x.prod(axes: axesArg(c), keepingDims: keep))]
  case "max": return [Result(x.max(axes: axesArg(c), keepingDims: keep))]
  case "min": return [Result(x.min(axes: axesArg(c), keepingDims: keep))]
  case "argmax": return [Result(x.argmax(axis: c.args["axis"]!.int!))]
  case "argmin": return [Result(x.argmin(axis: c.args["axis"]!.int!))]
  case "cumsum": return [Result(x.cumsum(axis: c.args["axis"]!.int!))]
  case "cumprod": return [Result(x.cumprod(axis: c.args["axis"]!.int!))]
  case "matmul": return [Result(x.matmul(second()))]
  case "matmul_tt": return [Result(x.T.matmul(second().T))]
  case "outer": return [Result(x.outer(second()))]
  case "sort":
    let (v, i) = x.sorted(axis: c.args["axis"]!.int!, descending: c.args["descending"]!.bool!)
    return [Result(v), Result(i)]
  case "topk":
    let (v, i) = x.topK(c.args["k"]!.int!, axis: c.args["axis"]!.int!, largest: c.args["largest"]!.bool!)
    return [Result(v), Result(i)]
  case "cast":
    switch c.args["to"]!.string! {
    case "f16": return [Result(x.cast(to: Float16.self))]
    case "bf16": return [Result(x.cast(to: BFloat16.self))]
    case "f32": return [Result(x.cast(to: Float.self))]
    case "i32": return [Result(x.cast(to: Int32.self))]
    case "i8": return [Result(x.cast(to: Int8.self))]
    case "u8": return [Result(x.cast(to: UInt8.self))]
    case "bool": return [Result(x.cast(to: Bool.self))]
    default: fatalError("cast target")
    }
  default: return nil
  }
}

func runFloat<E: FloatElement>(_ c: FixtureCase, _: E.Type) -> [Result] {
  let x = firstInput(c, E.self)
  func input(_ i: Int) -> Tensor<E, CPU> { c.inputs[i].tensor(E.self) }
  let keep = c.args["keep"]?.bool ?? false
  let axis = c.args["axis"]?.int ?? -1
  func d(_ k: String) -> Double { c.args[k]!.double! }
  switch c.op {
  case "exp": return [Result(x.exp())]
  case "log": return [Result(x.log())]
  case "log1p": return [Result(x.log1p())]
  case "expm1": return [Result(x.expm1())]
  case "sqrt": return [Result(x.sqrt())]
  case "rsqrt": return [Result(x.rsqrt())]
  case "reciprocal": return [Result(x.reciprocal())]
  case "sin": return [Result(x.sin())]
  case "cos": return [Result(x.cos())]
  case "tanh": return [Result(x.tanh())]
  case "erf": return [Result(x.erf())]
  case "sigmoid": return [Result(x.sigmoid())]
  case "leaky_relu": return [Result(x.leakyRelu(alpha: d("alpha")))]
  case "elu": return [Result(x.elu(alpha: d("alpha")))]
  case "gelu": return [Result(x.gelu())]
  case "gelu_tanh": return [Result(x.gelu(approximate: true))]
  case "silu": return [Result(x.silu())]
  case "softplus": return [Result(x.softplus())]
  case "floor": return [Result(x.floor())]
  case "ceil": return [Result(x.ceil())]
  case "round": return [Result(x.rounded())]
  case "clamp": return [Result(x.clamped(min: E(bornConverting: d("min")), max: E(bornConverting: d("max"))))]
  case "pow_scalar": return [Result(x.pow(E(bornConverting: d("p"))))]
  case "pow": return [Result(x.pow(input(1)))]
  case "isnan": return [Result(x.isNaN())]
  case "isinf": return [Result(x.isInfinite())]
  case "isfinite": return [Result(x.isFinite())]
  case "mean": return [Result(x.mean(axes: axesArg(c), keepingDims: keep))]
  case "var":
    return [Result(x.variance(axes: axesArg(c), correction: c.args["correction"]!.int!, keepingDims: keep))]
  case "std":
    return [Result(x.standardDeviation(axes: axesArg(c), correction: c.args["correction"]!.int!, keepingDims: keep))]
  case "logsumexp": return [Result(x.logsumexp(axes: axesArg(c), keepingDims: keep))]
  case "softmax": return [Result(x.softmax(axis: axis))]
  case "log_softmax": return [Result(x.logSoftmax(axis: axis))]
  case "permute": return [Result(x.permuted(c.args["order"]!.ints!).contiguous())]
  case "pad":
    let mode: PaddingMode =
      switch c.args["mode"]!.string! {
      case "reflect": .reflect
      case "replicate": .replicate
      default: .constant
      }
    return [Result(x.padded(c.args["pads"]!.intPairs!, mode: mode, value: E(bornConverting: d("value"))))]
  case "repeat": return [Result(x.repeated(c.args["counts"]!.ints!))]
  case "tile": return [Result(x.tiled(c.args["counts"]!.ints!))]
  case "cat": return [Result(Tensor.cat([x, input(1)], axis: axis))]
  case "stack": return [Result(Tensor.stack([x, input(1)], axis: axis))]
  case "slice_0_2_step2": return [Result(x[.stride(by: 2), 1..., -1])]
  case "gather": return [Result(x.gather(axis: axis, index: c.inputs[1].tensor(Int64.self)))]
  case "scatter":
    return [Result(x.scatter(axis: axis, index: c.inputs[1].tensor(Int64.self), source: input(2)))]
  case "scatter_add":
    return [Result(x.scatterAdd(axis: axis, index: c.inputs[1].tensor(Int64.self), source: input(2)))]
  case "index_select": return [Result(x.indexSelect(axis: axis, c.inputs[1].tensor(Int64.self)))]
  case "where":
    fatalError("where is run from the bool runner")
  case "conv2d":
    let s = c.args["stride"]!.ints!
    let p = c.args["padding"]!.ints!
    let dl = c.args["dilation"]!.ints!
    return [
      Result(
        x.conv2d(
          input(1), bias: input(2), stride: (s[0], s[1]), padding: (p[0], p[1]), dilation: (dl[0], dl[1]),
          groups: c.args["groups"]!.int!))
    ]
  case "conv1d":
    return [
      Result(
        x.conv1d(
          input(1), stride: c.args["stride"]!.int!, padding: c.args["padding"]!.int!,
          dilation: c.args["dilation"]!.int!,
          groups: c.args["groups"]!.int!))
    ]
  case "maxpool2d":
    let (k, s, p, dl) = (
      c.args["kernel"]!.ints!, c.args["stride"]!.ints!, c.args["padding"]!.ints!, c.args["dilation"]!.ints!
    )
    return [
      Result(
        x.maxPool2d(
          kernel: (k[0], k[1]), stride: (s[0], s[1]), padding: (p[0], p[1]), dilation: (dl[0], dl[1]),
          ceilMode: c.args["ceil"]!.bool!))
    ]
  case "avgpool2d":
    let (k, s, p) = (c.args["kernel"]!.ints!, c.args["stride"]!.ints!, c.args["padding"]!.ints!)
    return [
      Result(
        x.avgPool2d(
          kernel: (k[0], k[1]), stride: (s[0], s[1]), padding: (p[0], p[1]), ceilMode: c.args["ceil"]!.bool!,
          countIncludePad: c.args["count_include_pad"]!.bool!))
    ]
  default: fatalError("fixture \(c.name): unknown op \(c.op)")
  }
}

func runInteger<E: IntegerElement>(_ c: FixtureCase, _: E.Type) -> [Result] {
  let x = c.inputs[0].tensor(E.self)
  switch c.op {
  case "one_hot": return [Result((x as! Tensor<Int64, CPU>).oneHot(classes: c.args["classes"]!.int!, as: Float.self))]
  default: fatalError("fixture \(c.name): unknown integer op \(c.op)")
  }
}

func runBool(_ c: FixtureCase) -> [Result] {
  let x = c.inputs[0].tensor(Bool.self)
  let keep = c.args["keep"]?.bool ?? false
  switch c.op {
  case "and": return [Result(x .& c.inputs[1].tensor(Bool.self))]
  case "or": return [Result(x .| c.inputs[1].tensor(Bool.self))]
  case "xor": return [Result(x .^ c.inputs[1].tensor(Bool.self))]
  case "not": return [Result(.!x)]
  case "all": return [Result(x.all(axes: axesArg(c), keepingDims: keep))]
  case "any": return [Result(x.any(axes: axesArg(c), keepingDims: keep))]
  case "where": return [Result(Tensor.where(x, c.inputs[1].tensor(Float.self), c.inputs[2].tensor(Float.self)))]
  default: fatalError("fixture \(c.name): unknown bool op \(c.op)")
  }
}

/// Tolerance for a case: the dtype's, widened for long reductions and for functions whose f32
/// kernels are accurate to a few ulp.
func caseTolerance(_ c: FixtureCase, _ r: Result) -> (Double, Double) {
  if c.op == "cast" { return (0, 0) }  // conversions are exact by definition
  var (rtol, atol) = tolerance(r.dtype)
  if r.dtype == .f32 {
    switch c.op {
    case "exp", "log", "log1p", "expm1", "tanh", "erf", "sigmoid", "gelu", "gelu_tanh", "silu", "softplus", "elu",
      "pow", "pow_scalar", "logsumexp", "softmax", "log_softmax", "var", "std", "cumprod", "sin", "cos":
      rtol = 4e-6
    case "conv2d", "conv1d", "matmul", "matmul_tt", "sum", "mean", "prod", "cumsum":
      rtol = 1e-5
      atol = 1e-5
    default: break
    }
  }
  if r.dtype == .f64 && ["conv2d", "matmul", "var", "std", "logsumexp", "prod", "cumprod"].contains(c.op) {
    rtol = 1e-10
  }
  return (rtol, atol)
}

@Suite("Operations against NumPy/SciPy/PyTorch fixtures")
struct FixtureTests {
  @Test(arguments: ["elementwise", "compare", "reduce", "shape", "index", "linalg", "cast", "nn"])
  func family(_ name: String) throws {
    let cases = try loadFixtureCases("core/\(name).json")
    #expect(!cases.isEmpty)
    for c in cases {
      let results = run(c)
      #expect(results.count == c.outputs.count, "\(c.name): \(results.count) outputs")
      for (r, expected) in zip(results, c.outputs) {
        let (rtol, atol) = caseTolerance(c, r)
        let problem = mismatch(r.values, r.shape, expected, rtol: rtol, atol: atol)
        #expect(problem == nil, "\(c.name): \(problem ?? "")")
        if problem != nil { print("FIXTURE FAIL \(c.name): \(problem!)") }
      }
    }
  }
}
