"""`python -m juiced.config.wait_for_postgres URL`: exit 0 once PostgreSQL answers, 1 after 30 s."""

import sys
import time

import psycopg


def main(url: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(
                url.replace("postgres://", "postgresql://", 1), dbname="postgres", connect_timeout=3
            ) as conn:
                conn.execute("SELECT 1")
            return 0
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                print(f"PostgreSQL is not reachable at {url}: {exc}", file=sys.stderr)
                return 1
            time.sleep(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
