/// Picks parameters by their dotted key (`"encoder.layers.0.weight"`).
///
/// ```swift
/// let noDecay: ParameterSelector = .suffix(".bias") || .contains("norm")
/// ```
public struct ParameterSelector: Sendable {
  /// Whether a key is picked.
  public let matches: @Sendable (String) -> Bool

  /// A selector from a predicate on keys.
  public init(_ matches: @escaping @Sendable (String) -> Bool) {
    self.matches = matches
  }

  /// Keys that start with `prefix` (`"encoder."`).
  public static func prefix(_ prefix: String) -> ParameterSelector {
    ParameterSelector { $0.hasPrefix(prefix) }
  }

  /// Keys that end with `suffix` (`".bias"`).
  public static func suffix(_ suffix: String) -> ParameterSelector {
    ParameterSelector { $0.hasSuffix(suffix) }
  }

  /// Keys that contain `part`.
  public static func contains(_ part: String) -> ParameterSelector {
    ParameterSelector { $0.contains(part) }
  }

  /// Exactly the given keys.
  public static func keys(_ keys: Set<String>) -> ParameterSelector {
    ParameterSelector { keys.contains($0) }
  }

  /// Keys either selector picks.
  public static func || (a: ParameterSelector, b: ParameterSelector) -> ParameterSelector {
    ParameterSelector { a.matches($0) || b.matches($0) }
  }

  /// Keys both selectors pick.
  public static func && (a: ParameterSelector, b: ParameterSelector) -> ParameterSelector {
    ParameterSelector { a.matches($0) && b.matches($0) }
  }

  /// Keys this selector does not pick.
  public static prefix func ! (a: ParameterSelector) -> ParameterSelector {
    ParameterSelector { !a.matches($0) }
  }
}

/// A set of parameters, chosen by key, with its own hyperparameters.
public struct ParameterGroup<Options: OptimizerOptions>: Sendable {
  /// Which parameters belong to the group.
  public var selector: ParameterSelector
  /// The group's hyperparameters.
  public var options: Options

  /// A group of the parameters `selector` picks.
  public init(_ selector: ParameterSelector, options: Options) {
    self.selector = selector
    self.options = options
  }
}

/// The default hyperparameters and the groups that override them for some parameters.
///
/// A parameter belongs to the first added group whose selector picks its key, and to the
/// default group when none does. Groups are numbered as in ``Optimizer/learningRates``: 0 is the
/// default group, `i + 1` is `added[i]`.
///
/// ```swift
/// var groups = ParameterGroups(defaults: SGDOptions(learningRate: 0.1, weightDecay: 1e-4))
/// groups.append(ParameterGroup(.suffix(".bias"), options: SGDOptions(learningRate: 0.1)))
/// groups.options(forKey: "fc.bias").weightDecay  // 0
/// ```
public struct ParameterGroups<Options: OptimizerOptions>: Sendable {
  /// The options of parameters no added group picks.
  public var defaults: Options
  /// The added groups, checked in order.
  public var added: [ParameterGroup<Options>]

  /// Only the default group.
  public init(defaults: Options, added: [ParameterGroup<Options>] = []) {
    self.defaults = defaults
    self.added = added
  }

  /// The number of groups, the default group included.
  public var count: Int { added.count + 1 }

  /// Adds a group after the existing ones.
  public mutating func append(_ group: ParameterGroup<Options>) {
    added.append(group)
  }

  /// The index of the group that `key` belongs to (0 for the default group).
  public func index(forKey key: String) -> Int {
    for (i, g) in added.enumerated() where g.selector.matches(key) { return i + 1 }
    return 0
  }

  /// The options that apply to the parameter with this key.
  public func options(forKey key: String) -> Options {
    self[index(forKey: key)]
  }

  /// The options of group `index` (0 is the default group).
  public subscript(index: Int) -> Options {
    get { index == 0 ? defaults : added[index - 1].options }
    set {
      if index == 0 {
        defaults = newValue
      } else {
        added[index - 1].options = newValue
      }
    }
  }

  /// The options of every group, the default group first.
  public var allOptions: [Options] { [defaults] + added.map(\.options) }

  /// The learning rate of every group, the default group first.
  public var learningRates: [Double] {
    get { allOptions.map(\.learningRate) }
    set {
      precondition(
        newValue.count == count, "learningRates: \(newValue.count) rates for \(count) parameter groups")
      for (i, r) in newValue.enumerated() { self[i].learningRate = r }
    }
  }
}
