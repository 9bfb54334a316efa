"""Users, roles, passwords and API tokens (issue 5). `model` is what the web layer sees; `accounts` reads
and writes them in the engine; `service` is the server's in-memory view that checks credentials."""
