from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kundportal.recommendations import engine, evaluation


class Command(BaseCommand):
    help = (
        "Recommendations. `recs recompute` rebuilds every list now, in the foreground, with timings; "
        "`recs evaluate` measures the recommender on the current data against plain popularity."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "recompute", help="affinities, popularity and every organisation's list, from all orders"
        )
        sub.add_parser(
            "evaluate",
            help="hold out each customer's last order, train on the rest, and print hit rates @5 and @10 "
            "(changes nothing)",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "recompute":
            result = engine.recompute_all()
            steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
            self.stdout.write(
                f"{result.with_list:,} of {result.organisations:,} organisations have a list; "
                f"{result.affinities:,} affinities. {result.seconds:.1f} s ({steps})."
            )
            return
        result = evaluation.evaluate()
        self.stdout.write(
            f"Held out the last order of {result.customers:,} customers with at least two orders; "
            f"trained on {result.training_orders:,} orders ({result.seconds:.1f} s)."
        )
        self.stdout.write("")
        self.stdout.write(evaluation.as_table(result))
