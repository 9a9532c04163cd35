// Probes speak HTTP through SwitchyardHTTP's engine; whoever imports the probes sees it too.
@_exported import SwitchyardHTTP
