// The contract kit's types (Money, ids, problems, events, endpoints) are part of every service's vocabulary.
@_exported import PlexusContract
