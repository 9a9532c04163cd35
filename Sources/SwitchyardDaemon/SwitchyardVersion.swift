/// The build's version, for `switchyard_build_info` and `--version`.
public enum SwitchyardVersion {
    public static let current = "0.1.0"
}
