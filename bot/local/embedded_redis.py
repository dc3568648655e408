"""An in-memory Redis for trying the bot with nothing installed. Not durable: data is lost when it stops."""

from __future__ import annotations

import argparse

from fakeredis import TcpFakeServer


def main() -> None:
    """Serve the Redis protocol on loopback until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=6379)
    port = parser.parse_args().port
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    print(f"embedded Redis on 127.0.0.1:{port} (in memory, not durable)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
