"""Run the emulator standalone: ``python -m emulator --port 8081 --token TOKEN``."""

import argparse

from aiohttp import web

from emulator.core import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(description="Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    args = parser.parse_args()
    emulator = Emulator(token=args.token)
    print(f"Bot API: http://{args.host}:{args.port}/bot<token>/<method>")
    print(f"Chat page: http://{args.host}:{args.port}/_emulator/chat")
    web.run_app(emulator.create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
