"""Deterministic decision requests (CONTRACT §3) on and beside every threshold of POLICY.md.

    from bench.requests import generate, KNOWN_CLAIMS
    requests = generate(20_000, seed=7)

    python -m bench.requests 3              # three requests, one JSON object a line
    python -m bench.requests --census 20000 # how often each threshold is hit and just missed

Every request is valid, in RUB, and carries an explicit `as_of` date, so any engine gives
the same answer on any day. Money and percents have at most 2 decimals; they are computed
as Decimals and written as JSON numbers. `KNOWN_CLAIMS` is the claim log that a
`claim_replacement` shipment refers to: {decision_id: (client_id, outcome)}.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal as D
from typing import Any

ROLES = ("manager", "head_of_sales", "commercial_director", "cfo", "compliance_officer")
SEGMENTS = ("retail", "wholesale", "key_account")
LIMITS = {"retail": (5, 10, 15), "wholesale": (10, 15, 20), "key_account": (15, 20, 25)}
NEEDS = ("heating", "cooling", "packaging", "logistics", "spare_parts", "office")
AS_OF = ("2026-11-27", "2024-02-28", "2025-12-31", "2026-03-01")
CLIENTS = tuple(f"c{i:03d}" for i in range(40))
CENT = D("0.01")

# Every limit of the discount tables and overlays, on it and a hundredth either side.
PERCENT_EDGES = tuple(
    sorted({D(0), CENT, D(100), D("99.99"), D(30)}
           | {D(x) + d for x in (5, 10, 15, 20, 25) for d in (-CENT, D(0), CENT)})
)

# Claims log: allowed, denied and approval-bound claims of known clients.
KNOWN_CLAIMS: dict[str, tuple[str, str]] = {
    f"dec-claim-{i:02d}": (CLIENTS[i % len(CLIENTS)], ("allow", "deny", "require_approval")[i % 3])
    for i in range(30)
}


def num(value: D) -> int | float:
    """A Decimal with at most 2 decimals as a JSON number."""
    assert value == value.quantize(CENT), value
    return int(value) if value == value.to_integral_value() else float(value)


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.n = 0

    def money(self, low: int = 1, high: int = 2_000_000) -> D:
        return D(self.r.randint(low * 100, high * 100)) / 100

    def percent(self) -> D:
        if self.r.random() < 0.7:
            return self.r.choice(PERCENT_EDGES)
        return D(self.r.randint(0, 3000)) / 100

    def common(self, action: str) -> dict[str, Any]:
        r = self.r
        self.n += 1
        actor = {"id": f"u{r.randint(1, 30)}", "role": r.choice(ROLES)}
        if r.random() < 0.4:  # the sales chain is the usual caller
            actor["role"] = "manager"
        client: dict[str, Any] = {"id": r.choice(CLIENTS)}
        if r.random() < 0.7 or action in ("discount", "offer"):
            client["segment"] = r.choice(SEGMENTS)
        if r.random() < 0.7:
            client["is_new"] = r.random() < 0.25
        if r.random() < 0.8:
            client["owner_id"] = actor["id"] if r.random() < 0.5 else f"u{r.randint(31, 40)}"
        if r.random() < 0.8:
            client["needs"] = r.sample(NEEDS, r.randint(0, 4))
        if r.random() < 0.2:
            client.update(name="ООО Ромашка", email="buyer@example.ru", phone="+7 900 000-00-00")
        request: dict[str, Any] = {
            "action": action,
            "request_id": f"bench-{self.n}",
            "as_of": r.choice(AS_OF),
            "actor": actor,
            "client": client,
        }
        if r.random() < 0.4:
            request["approvals"] = [
                {"role": r.choice(ROLES), "by": f"a{r.randint(1, 9)}"}
                for _ in range(r.randint(0, 2))
            ]
        return request

    def cost_for(self, net: D) -> D | None:
        """A cost around the margin floor (0 % and 10 % margin) or anywhere, or none."""
        r = self.r
        pick = r.random()
        if pick < 0.3:
            return None
        if pick < 0.75:
            base = r.choice((net * D("0.9"), net))  # margin exactly 10 % / exactly 0 %
            cost = base + r.choice((-CENT, D(0), D(0), CENT))
        else:
            cost = net * D(r.randint(0, 120)) / 100
        return max(cost.quantize(CENT), D(0))

    def priced(self, no_discount: float = 0.0) -> tuple[D, D, D | None]:
        """(list, percent, cost); list is a multiple of 1000 so that 0.9 * net is exact."""
        list_amount = D(self.r.randint(1, 2000) * 1000)
        if self.r.random() < 0.3:
            list_amount = self.money(1, 50_000)
        pct = D(0) if self.r.random() < no_discount else self.percent()
        net = list_amount * (100 - pct) / 100
        return list_amount, pct, self.cost_for(net)

    def category(self) -> str:
        return self.r.choices(("standard", "novelty", "promo"), (7, 2, 1))[0]

    def discount(self) -> dict[str, Any]:
        req = self.common("discount")
        list_amount, pct, cost = self.priced()
        deal: dict[str, Any] = {"id": f"deal-{self.n}", "currency": "RUB",
                                "list_amount": num(list_amount)}
        if cost is not None:
            deal["cost_amount"] = num(cost)
        if self.r.random() < 0.8:
            deal["category"] = self.category()
        req["deal"] = deal
        req["discount"] = {"percent": num(pct)}
        if self.r.random() < 0.3:
            req["discount"]["reason"] = "volume"
        return req

    def shipment(self) -> dict[str, Any]:
        r = self.r
        req = self.common("shipment")
        total = self.money(1, 1_000_000)
        if r.random() < 0.1:  # CONTRACT §9: 0.30 paid, 0.10 shipped before, 0.20 is covered
            paid, before, amount = D("0.30"), D("0.10"), D("0.20") + r.choice((D(0), CENT))
            total = D("0.30")
        else:
            paid = self.money(0, int(total)) if r.random() < 0.9 else D(0)
            before = self.money(0, int(paid)) if r.random() < 0.5 and paid >= 1 else D(0)
            cleared = paid - before
            amount = r.choice((cleared, cleared + CENT, cleared - CENT, self.money(1, 500_000)))
            amount = max(amount, CENT)
        order: dict[str, Any] = {"id": f"ord-{self.n}", "currency": "RUB", "total": num(total),
                                 "paid": num(paid)}
        if before or r.random() < 0.5:
            order["shipped_before"] = num(before)
        if r.random() < 0.4:
            order["pending"] = num(self.money(0, 100_000))  # never counts as cleared
        shipment: dict[str, Any] = {"id": f"shp-{self.n}", "amount": num(amount)}
        if r.random() < 0.3:
            shipment["kind"] = "claim_replacement"
            pick = r.random()
            if pick < 0.7:
                claim_id = r.choice(sorted(KNOWN_CLAIMS))
                shipment["claim_decision_id"] = claim_id
                if r.random() < 0.8:  # the claim's own client, usually
                    req["client"]["id"] = KNOWN_CLAIMS[claim_id][0]
            elif pick < 0.85:
                shipment["claim_decision_id"] = f"dec-unknown-{r.randint(1, 99)}"
            elif pick < 0.93:
                shipment["claim_decision_id"] = None
        elif r.random() < 0.3:
            shipment["kind"] = "regular"
        req["order"] = order
        req["shipment"] = shipment
        return req

    def claim(self) -> dict[str, Any]:
        r = self.r
        req = self.common("claim")
        # a total in steps of 0.20 makes 5 % and 15 % of it whole kopecks
        total = D(r.choice((r.randint(1, 10_000_000), 1_500_000, 3_333_334, 5_000_000))) / 5
        if r.random() < 0.2:
            total = r.choice((D(300_000), D("666666.60"), D("666666.80"), D("0.20")))
        low = min(total * D("0.05"), D(15_000))
        high = min(total * D("0.15"), D(100_000))
        comp = r.choice((D(0), low, low + CENT, low - CENT, high, high + CENT, high - CENT,
                         self.money(0, 150_000)))
        amount = r.choice((D(500_000), D("500000.01"), D("499999.99"), self.money(1, 900_000)))
        claim: dict[str, Any] = {
            "id": f"clm-{self.n}",
            "reason": r.choice(("defect", "damaged_in_transit", "wrong_item",
                                "not_as_described", "changed_mind", "changed_mind")),
            "amount": num(amount),
            "days_since_delivery": r.choice((0, 1, 13, 14, 15, 364, 365, 366, r.randint(0, 800))),
            "remedy": r.choice(("refund", "replacement", "repair", "credit_note")),
        }
        comp = max(comp, D(0))
        if comp or r.random() < 0.5:
            claim["compensation"] = num(comp)
        req["order"] = {"id": f"ord-{self.n}", "currency": "RUB", "total": num(total)}
        req["claim"] = claim
        return req

    def disclosure(self) -> dict[str, Any]:
        r = self.r
        req = self.common("disclosure")
        disclosure: dict[str, Any] = {
            "categories": r.sample(("contacts", "order_history", "prices", "payment_details",
                                    "personal_data"), r.randint(1, 3)),
            "recipient": r.choice(("client", "internal", "contractor", "third_party",
                                   "authority")),
        }
        if r.random() < 0.8:
            disclosure["records"] = r.choice((1, 1, 1, 2, 100, 101, 1000, 1001,
                                              r.randint(1, 1200)))
        if r.random() < 0.8:
            disclosure["legal_basis"] = r.choice(("none", "client_consent", "contract",
                                                  "court_order", "law_request"))
            if r.random() < 0.5:  # the basis its recipient needs
                disclosure["legal_basis"] = {
                    "contractor": "contract", "third_party": "client_consent",
                    "authority": r.choice(("court_order", "law_request")),
                }.get(disclosure["recipient"], disclosure["legal_basis"])
        if r.random() < 0.3:
            disclosure["purpose"] = "tender check"
        if r.random() < 0.3:  # the senior roles that need no one else for internal use
            req["actor"]["role"] = r.choice(("compliance_officer", "head_of_sales"))
        req["disclosure"] = disclosure
        return req

    def offer(self) -> dict[str, Any]:
        r = self.r
        req = self.common("offer")
        as_of = dt.date.fromisoformat(req["as_of"])
        days = r.choice((-1, 0, 0, 1, 7, 30, r.randint(0, 120)))
        needs = req["client"].get("needs", [])
        items = []
        for i in range(r.choices((1, 2, 3, 4), (5, 3, 2, 1))[0]):
            list_price, pct, cost = self.priced(no_discount=0.6)
            quantity = D(r.randint(1, 500)) if r.random() < 0.8 else self.money(1, 50)
            available = r.choice((quantity, quantity, quantity + 10,
                                  quantity - 1 if quantity > 1 else D(0), D(0)))
            if needs and r.random() < 0.93:
                need = r.choice(needs)
            else:
                need = r.choice((None, "gadgets", r.choice(NEEDS)))
            item: dict[str, Any] = {
                "sku": f"sku-{i}-{r.randint(1, 999)}",
                "quantity": num(quantity),
                "available_quantity": num(available),
                "lead_time_days": max(0, r.choice((days, days, days + 1, days - 1, 0,
                                                   r.randint(0, 30)))),
                "need": need,
                "list_price": num(list_price),
            }
            if r.random() < 0.8:
                item["category"] = self.category()
            if pct or r.random() < 0.5:
                item["discount_percent"] = num(pct)
            if cost is not None:
                item["cost_price"] = num(cost)
            items.append(item)
        offer: dict[str, Any] = {
            "id": f"off-{self.n}",
            "currency": "RUB",
            "promised_delivery_date": (as_of + dt.timedelta(days=days)).isoformat(),
            "items": items,
        }
        if r.random() < 0.5:
            offer["custom_terms"] = [
                {"text": "delivery to the door", "requires_process_change": r.random() < 0.15}
                for _ in range(r.randint(0, 2))
            ]
        req["offer"] = offer
        return req


ACTIONS = ("discount", "shipment", "claim", "disclosure", "offer")


def generate(n: int, seed: int = 20261127) -> list[dict[str, Any]]:
    """`n` valid requests, the five actions in turn, the same list for the same seed."""
    gen = Gen(seed)
    return [getattr(gen, ACTIONS[i % len(ACTIONS)])() for i in range(n)]


def claims_lookup(decision_id: str) -> tuple[str, str] | None:
    """`decide(request, claims=claims_lookup)`: the claim log of KNOWN_CLAIMS."""
    return KNOWN_CLAIMS.get(decision_id)


def census(requests: list[dict[str, Any]]) -> Counter[str]:
    """How often each threshold of POLICY.md is hit exactly ("on") or a step past ("beside")."""
    seen: Counter[str] = Counter()

    def count(name: str, hit: bool) -> None:
        seen[name] += hit  # a threshold never reached still shows, with 0

    def pricing(client: dict, pct: Any, category: str, lst: Any, cost: Any) -> None:
        pct = D(str(pct))
        for role, limit in zip(("manager", "head", "director"), LIMITS[client["segment"]],
                               strict=True):
            count(f"segment {role} limit on", pct == limit)
            count(f"segment {role} limit beside (+0.01)", pct == limit + CENT)
        for overlay in ("novelty", "promo"):
            count(f"{overlay} 0% or 5%", category == overlay and pct in (0, 5))
            count(f"{overlay} 0.01% or 5.01%", category == overlay and pct in (CENT, 5 + CENT))
        count("new client 0% or 0.01%", bool(client.get("is_new")) and pct in (0, CENT))
        if cost is not None:
            net, cost = D(str(lst)) * (100 - pct) / 100, D(str(cost))
            for name, floor in (("0", net), ("10", net * D("0.9"))):
                count(f"margin {name}% on", cost == floor)
                count(f"margin {name}% beside (cost +0.01)", cost == floor + CENT)

    for req in requests:
        action, client = req["action"], req["client"]
        if action == "discount":
            deal = req["deal"]
            pricing(client, req["discount"]["percent"], deal.get("category", "standard"),
                    deal["list_amount"], deal.get("cost_amount"))
        elif action == "shipment":
            order, ship = req["order"], req["shipment"]
            if ship.get("kind") == "claim_replacement":
                known = KNOWN_CLAIMS.get(ship.get("claim_decision_id") or "")
                whose = known and ("its" if known[0] == client["id"] else "another")
                seen["replacement of an unknown or missing claim" if known is None else
                     f"replacement of a known {known[1]} claim of {whose} client"] += 1
                continue
            gap = D(str(order["paid"])) - D(str(order.get("shipped_before", 0)))
            gap -= D(str(ship["amount"]))
            count("cleared money exactly the amount", gap == 0)
            count("cleared money a kopeck short", gap == -CENT)
        elif action == "claim":
            claim, total = req["claim"], D(str(req["order"]["total"]))
            comp = D(str(claim.get("compensation", 0)))
            for days in (14, 15, 365, 366):
                count(f"claim {days} days after delivery", claim["days_since_delivery"] == days)
            for name, limit in (("min(5%, 15000)", min(total / 20, D(15_000))),
                                ("min(15%, 100000)", min(total * D("0.15"), D(100_000)))):
                count(f"compensation {name} on", comp == limit)
                count(f"compensation {name} beside (+0.01)", comp == limit + CENT)
            for amount in (500_000, 500_000.01):
                count(f"claim amount {amount}", claim["amount"] == amount)
        elif action == "disclosure":
            for records in (1, 2, 100, 101, 1000, 1001):
                count(f"records {records}", req["disclosure"].get("records", 1) == records)
        else:
            offer = req["offer"]
            days = (dt.date.fromisoformat(offer["promised_delivery_date"])
                    - dt.date.fromisoformat(req["as_of"])).days
            count("promised on as_of", days == 0)
            count("promised the day before as_of", days == -1)
            needs = client.get("needs", [])
            for it in offer["items"]:
                pricing(client, it.get("discount_percent", 0), it.get("category", "standard"),
                        it["list_price"], it.get("cost_price"))
                short = it["quantity"] > it["available_quantity"]
                count("short line, lead time = days to promise", short and (
                    it["lead_time_days"] == days))
                count("short line, lead time one over", short and it["lead_time_days"] == days + 1)
                count("line need documented", it["need"] in needs)
                count("line need null or undocumented", it["need"] not in needs)
    return seen


if __name__ == "__main__":
    import json
    import sys

    count = int(sys.argv[-1]) if sys.argv[-1].isdigit() else 5
    if "--census" in sys.argv:
        for name, hits in census(generate(count)).items():
            print(f"{hits:7d}  {name}")
    else:
        for request in generate(count):
            print(json.dumps(request, ensure_ascii=False))
