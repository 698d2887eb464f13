"""``pinreset consent-urls``: Microsoft's two admin-consent URLs for the PIN reset apps."""

from __future__ import annotations

import argparse
from typing import Any

from pinreset.cli._exit import ExitCode
from pinreset.cli._render import print_json, write_csv

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``consent-urls`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "consent-urls",
        help="print Microsoft's admin-consent URLs for both PIN reset apps",
        description="Print the admin-consent URLs of Microsoft Pin Reset Service Production and Microsoft Pin "
        "Reset Client Production, as Microsoft publishes them. Open both, one after the other, as an "
        "Application Administrator and accept; a blank page afterwards is expected.",
        epilog="Exit codes: 0.",
    )
    parser.add_argument("--output", "-o", choices=("table", "json", "csv"), default="table", help="default: table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the URLs."""
    from pinreset.deploy import consent_urls

    urls = consent_urls()
    if args.output == "json":
        print_json({app.name.lower(): {"display_name": app.display_name, "app_id": app.app_id, "url": url}
                    for app, url in urls.items()})
    elif args.output == "csv":
        write_csv(("app", "app_id", "url"), [(app.display_name, app.app_id, url) for app, url in urls.items()])
    else:
        print("Open both URLs, one after the other, as an Application Administrator, and accept.")
        print("(The consent page may install only one app per visit; a blank page afterwards is expected.)")
        for n, (app, url) in enumerate(urls.items(), 1):
            print(f"\n{n}. {app.display_name} ({app.app_id})\n{url}")
    return ExitCode.OK
