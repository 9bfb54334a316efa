"""`logwarden serve`: the process that owns a data directory and takes logs live (issue 5).

config      flags / environment / config file -> ServerConfig
wal         the write-ahead file: what was acknowledged survives a kill
queue       received records -> WAL -> micro-batches -> the engine (backpressure, stats)
engine_write one micro-batch parsed in the engine like a file (staging + the format's SQL)
syslog      TCP listener (RFC 3164 / 5424, newline and octet-counted framing), block delivery
udp         UDP reader thread
state       ServerState: the one Store, the engine worker, auth, the queue
process     start, serve, and shut down gracefully on SIGTERM
"""
