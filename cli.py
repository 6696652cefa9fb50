"""The `warrant` command, run from a checkout (`python cli.py ...`).

The command itself lives in the package (`warrant._cli`, the folder
`engine/_cli.py`), so the installed distribution puts nothing but `warrant`
into site-packages; its console script is `warrant._cli:main`.
"""
from warrant._cli import app, main  # noqa: F401 - `from cli import app` in tests and scripts

if __name__ == "__main__":
    main()
