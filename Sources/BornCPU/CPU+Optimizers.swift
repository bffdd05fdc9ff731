import BornCore
import CBornKernels

#if canImport(Glibc)
  import Glibc
#endif

extension CPU {
  public static func adamStep(
    _ h: AdamStep, parameter: CPUStorage, gradient: CPUStorage, m: CPUStorage, v: CPUStorage, vMax: CPUStorage?,
    into out: CPUStorage, count: Int, dtype: DType
  ) {
    switch dtype {
    case .f32:
      let t = Double(h.step)
      let bc1 = 1 - Glibc.pow(h.beta1, t)
      let bc2Root = (1 - Glibc.pow(h.beta2, t)).squareRoot()
      let shrink = h.decoupled ? Float(1 - h.learningRate * h.weightDecay) : 1
      let wd = h.decoupled ? 0 : Float(h.weightDecay)
      let (p, g, pm, pv, pmax, po) = (
        parameter.const(Float.self), gradient.const(Float.self), m.typed(Float.self), v.typed(Float.self),
        vMax?.typed(Float.self), out.typed(Float.self)
      )
      parallelFor(count, grain: 1 << 15) { r in
        let o = r.lowerBound
        born_adam_f32(
          p + o, g + o, pm + o, pv + o, pmax.map { $0 + o }, po + o, r.count, Float(h.beta1), Float(h.beta2), shrink,
          wd,
          Float(h.learningRate / bc1), Float(1 / bc2Root), Float(h.epsilon))
      }
    case .f64:
      adamLoop(
        h, parameter.const(Double.self), gradient.const(Double.self), m.typed(Double.self), v.typed(Double.self),
        vMax?.typed(Double.self), out.typed(Double.self), count)
    default:
      compositeAdamStep(
        h, parameter: parameter, gradient: gradient, m: m, v: v, vMax: vMax, into: out, count: count, dtype: dtype)
    }
  }

  /// One pass over the parameter: the same arithmetic, in the same order, as PyTorch's
  /// single-tensor Adam.
  static func adamLoop<T: BinaryFloatingPoint>(
    _ h: AdamStep, _ p: UnsafePointer<T>, _ g: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>,
    _ vMax: UnsafeMutablePointer<T>?, _ out: UnsafeMutablePointer<T>, _ count: Int
  ) {
    let t = Double(h.step)
    let bc1 = 1 - Glibc.pow(h.beta1, t)
    let bc2Root = (1 - Glibc.pow(h.beta2, t)).squareRoot()
    let b1 = T(h.beta1)
    let b2 = T(h.beta2)
    let oneMinusB1 = T(1 - h.beta1)
    let oneMinusB2 = T(1 - h.beta2)
    let wd = T(h.weightDecay)
    let shrink = T(1 - h.learningRate * h.weightDecay)
    let stepSize = T(h.learningRate / bc1)
    let invBc2Root = T(1 / bc2Root)
    let eps = T(h.epsilon)
    let decoupled = h.decoupled && h.weightDecay != 0
    let coupled = !h.decoupled && h.weightDecay != 0
    parallelFor(count, grain: 1 << 16) { r in
      for i in r {
        var grad = g[i]
        var param = p[i]
        if decoupled { param = param * shrink }
        if coupled { grad = grad + param * wd }
        let mi = m[i] * b1 + grad * oneMinusB1
        let vi = v[i] * b2 + grad * grad * oneMinusB2
        m[i] = mi
        v[i] = vi
        var second = vi
        if let vMax {
          second = Swift.max(vMax[i], vi)
          vMax[i] = second
        }
        out[i] = param - (mi / (second.squareRoot() * invBc2Root + eps)) * stepSize
      }
    }
  }

  public static func sgdStep(
    _ h: SGDStep, parameter: CPUStorage, gradient: CPUStorage, momentumBuffer: CPUStorage?, into out: CPUStorage,
    count: Int, dtype: DType
  ) {
    switch dtype {
    case .f32:
      sgdLoop(
        h, parameter.const(Float.self), gradient.const(Float.self), momentumBuffer?.typed(Float.self),
        out.typed(Float.self), count)
    case .f64:
      sgdLoop(
        h, parameter.const(Double.self), gradient.const(Double.self), momentumBuffer?.typed(Double.self),
        out.typed(Double.self), count)
    default:
      compositeSGDStep(
        h, parameter: parameter, gradient: gradient, momentumBuffer: momentumBuffer, into: out, count: count,
        dtype: dtype)
    }
  }

  static func sgdLoop<T: BinaryFloatingPoint>(
    _ h: SGDStep, _ p: UnsafePointer<T>, _ g: UnsafePointer<T>, _ buf: UnsafeMutablePointer<T>?,
    _ out: UnsafeMutablePointer<T>,
    _ count: Int
  ) {
    let lr = T(h.learningRate)
    let wd = T(h.weightDecay)
    let mu = T(h.momentum)
    let keep = T(1 - h.dampening)
    let useMomentum = h.momentum != 0 && buf != nil
    parallelFor(count, grain: 1 << 16) { r in
      for i in r {
        var d = g[i]
        if h.weightDecay != 0 { d = d + p[i] * wd }
        if useMomentum, let buf {
          let b = h.firstStep ? d : buf[i] * mu + d * keep
          buf[i] = b
          d = h.nesterov ? d + b * mu : b
        }
        out[i] = p[i] - d * lr
      }
    }
  }
}
