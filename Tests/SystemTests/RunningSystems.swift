import Testing

/// The suites that start the whole system (`plexus up`): one at a time, since each runs a database
/// and ten processes on the test machine; the unit suites still run beside them.
@Suite(.serialized) enum RunningSystems {}
