"""A backend that accepts connections and reads requests but never answers: python hanging_server.py PORT."""

import asyncio
import sys


async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while await reader.read(65536):
            pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(hold, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
