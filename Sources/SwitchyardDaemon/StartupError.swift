/// Why the daemon cannot start; printed as is.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
}
