"""Command line: ``python -m lth report`` rebuilds the claims page; ``python -m lth screenshot`` photographs it.

    python -m lth report [reports/claims.json] [-o reports/claims.html]
    python -m lth screenshot reports/claims.html -o reports/screenshot.png [--width 1200] [--height 1500] [--full-page]

Problems with the input (a missing or malformed claims.json, no Chromium) print one line
naming the file and the problem to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lth", description="lottery-ticket claims: reports")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    rep = sub.add_parser("report", help="build the HTML report from claims.json",
                         description="Build the self-contained HTML report from a claims run's claims.json.")
    rep.add_argument("path", nargs="?", default="reports/claims.json", metavar="PATH",
                     help="claims.json written by `pytest claims/` (default: reports/claims.json)")
    rep.add_argument("-o", "--output", default=None, metavar="OUT.html",
                     help="where the page goes (default: claims.html beside the json)")
    shot = sub.add_parser("screenshot", help="PNG of a report page in headless Chromium (/usr/bin/chromium)",
                          description="Screenshot a report page with playwright driving Debian's /usr/bin/chromium.")
    shot.add_argument("html", nargs="?", default="reports/claims.html", metavar="PAGE.html",
                      help="the report page (default: reports/claims.html)")
    shot.add_argument("-o", "--output", default="reports/screenshot.png", metavar="OUT.png",
                      help="the PNG to write (default: reports/screenshot.png)")
    shot.add_argument("--width", type=int, default=1200, help="viewport width in CSS pixels (default 1200)")
    shot.add_argument("--height", type=int, default=1500, help="viewport height, the part captured (default 1500)")
    shot.add_argument("--full-page", action="store_true", help="capture the whole page, not only the first screen")
    shot.add_argument("--scale", type=float, default=1.0, help="device pixel ratio (default 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from lth import report

    try:
        if args.command == "report":
            out = report.write_html(args.path, args.output)
        else:
            out = report.screenshot(args.html, args.output, width=args.width, height=args.height,
                                    full_page=args.full_page, scale=args.scale)
    except report.ReportError as e:
        print(f"lth {args.command}: error: {e}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
