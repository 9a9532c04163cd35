extension Int {
    /// `value` rounded to the nearest whole number and clamped to `Int`'s range; 0 for NaN.
    /// For figures that come from outside (a provider's numbers, a peer's rows) and are only
    /// shown or compared: `Int(_:)` would stop the daemon on them.
    public init(saturating value: Double) {
        let rounded = value.rounded()
        if rounded.isNaN {
            self = 0
        } else if rounded >= 9_223_372_036_854_774_784 {  // the largest Double below 2^63
            self = .max
        } else if rounded <= -9_223_372_036_854_775_808 {
            self = .min
        } else {
            self = Int(rounded)
        }
    }
}
