import Born

public typealias ADTensor = Tensor<Double, Autodiff<CPU>>

/// Compares the gradients from `backward()` with central finite differences in f64.
///
/// The scalar checked is Σ f(inputs) · r for fixed random weights r, so every output element
/// contributes. Returns a description of the worst mismatch, or nil when all agree within
/// `rtol`/`atol`.
public func gradientMismatch(
  _ inputs: [Tensor<Double, CPU>], eps: Double = 1e-6, rtol: Double = 1e-5, atol: Double = 1e-7,
  seed: UInt64 = 99, _ f: ([ADTensor]) -> ADTensor
) -> String? {
  let leaves = inputs.map { ADTensor(constant: $0.copied()).requiringGrad() }
  let y = f(leaves)
  var g = RandomGenerator(seed: seed)
  let weights = Tensor<Double, CPU>.randn(y.shape, using: &g)
  let loss = (y * ADTensor(constant: weights)).sum()
  let grads = loss.backward()

  func value(_ xs: [Tensor<Double, CPU>]) -> Double {
    let out = withoutGrad { f(xs.map { ADTensor(constant: $0) }) }
    return (out.baseTensor() * weights).sum().item()
  }

  for (i, x) in inputs.enumerated() {
    guard let analytic = grads[leaves[i]]?.contiguous().toArray() else {
      return "input \(i): no gradient"
    }
    var flat = x.contiguous().toArray()
    for j in 0..<flat.count {
      let original = flat[j]
      flat[j] = original + eps
      var xs = inputs
      xs[i] = Tensor(flat, shape: x.shape)
      let plus = value(xs)
      flat[j] = original - eps
      xs[i] = Tensor(flat, shape: x.shape)
      let minus = value(xs)
      flat[j] = original
      let numeric = (plus - minus) / (2 * eps)
      let a = analytic[j]
      if !(abs(a - numeric) <= atol + rtol * max(abs(numeric), abs(a))) {
        return "input \(i) element \(j): backward gives \(a), finite differences \(numeric)"
      }
    }
  }
  return nil
}
