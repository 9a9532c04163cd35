// Every file of this target sees the shared test helpers.
@_exported import SwitchyardTestSupport
