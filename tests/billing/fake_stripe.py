"""A local stand-in for the parts of Stripe the billing code talks to.

Stripe cannot be reached from the test machines, so tests point the *real* ``stripe`` client at
this threaded HTTP server::

    fake = FakeStripe(webhook_secret="whsec_test").start()
    client = stripe.StripeClient("sk_test_fake", base_addresses=fake.base_addresses)
    # or the legacy globals: stripe.api_base = fake.base_url

What it fakes
  * /v1 API in Stripe's wire format: form-encoded bracket-notation bodies and query strings
    (``items[0][quantity]=3``), ``Authorization: Bearer``, JSON objects shaped like the API version
    the installed client pins (``stripe.api_version``), JSON error bodies with 4xx/5xx statuses,
    ``Idempotency-Key`` replay (``Idempotent-Replayed: true``; same key with other parameters is an
    ``idempotency_error``), ``expand[]`` of id fields, and injected failures (``fail_next``) so the
    client's retries can be exercised.
  * Endpoints: customers, products, prices (lookup keys), checkout sessions, subscriptions
    (retrieve/list/update), invoices (retrieve/list), billing portal sessions, events (retrieve).
  * Hosted pages a headless browser can click through: checkout (/pay/<cs>), billing portal
    (/portal/<bps>) and a bare invoice page (/invoice/<in>).
  * Webhooks: events are built as Stripe builds them (snapshots, ``previous_attributes`` on
    ``*.updated``), signed with ``Stripe-Signature`` exactly as Stripe signs them, and delivered
    through ``fake.transport`` (HTTP POST to ``fake.webhook_url`` by default).

What it does not fake
  * Money movement, payment methods, taxes, discounts, prorations (``proration_behavior`` is only
    recorded as ``last_proration_behavior``), trials, schedules, test clocks, search, pagination
    beyond ``limit`` (``has_more`` is always false), Connect, v2 APIs.
  * Only the events listed on each control method are sent; real Stripe sends more
    (``invoice.created``, ``invoice.finalized``, ``payment_intent.*`` ...). API updates
    (POST /v1/subscriptions/<id>) send no webhook at all.
  * Validation is limited to the errors tests rely on (missing objects, duplicate product ids,
    lookup-key clashes, idempotency-key reuse).
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

DAY = 86400
_INTERVAL_SECONDS = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY, "year": 365 * DAY}
# Field name -> store attribute, for expand[].
_EXPANDABLE = {"customer": "customers", "product": "products", "price": "prices",
               "subscription": "subscriptions", "latest_invoice": "invoices", "invoice": "invoices"}


def new_id(prefix: str, length: int = 14) -> str:
    alphabet = string.ascii_letters + string.digits
    return f"{prefix}_" + "".join(secrets.choice(alphabet) for _ in range(length))


def parse_form(encoded: str) -> dict:
    """Stripe bracket notation -> nested dicts/lists; values stay strings.

    ``items[0][quantity]=3&lookup_keys[]=a`` -> ``{"items": [{"quantity": "3"}], "lookup_keys": ["a"]}``
    """
    root: dict = {}
    for key, value in urllib.parse.parse_qsl(encoded, keep_blank_values=True):
        m = re.match(r"^([^\[]+)((?:\[[^\]]*\])*)$", key)
        keys = [m.group(1), *re.findall(r"\[([^\]]*)\]", m.group(2))] if m else [key]
        node = root
        for k in keys[:-1]:
            k = k or str(len(node))
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1] or str(len(node))] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def _bool(value) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _merge_metadata(obj: dict, metadata) -> None:
    """Stripe semantics: ``metadata=`` clears, ``metadata[k]=`` deletes k, other values set."""
    if metadata is None:
        return
    if metadata == "":
        obj["metadata"] = {}
        return
    for k, v in metadata.items():
        if v == "":
            obj["metadata"].pop(k, None)
        else:
            obj["metadata"][k] = v


def _list_object(data: list, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": False, "url": url}


class StripeAPIError(Exception):
    """Raised by endpoint handlers; turned into Stripe's JSON error body."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message, "code": code, "param": param}}


def _missing(kind: str, obj_id: str, param: str = "id") -> StripeAPIError:
    return StripeAPIError(404 if param == "id" else 400, f"No such {kind}: '{obj_id}'",
                          code="resource_missing", param=param)


class FakeStripe:
    def __init__(self, webhook_secret: str = "whsec_test", webhook_url: str | None = None):
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.base_url = ""
        self.customers: dict[str, dict] = {}
        self.products: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.checkout_sessions: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        self.events: dict[str, dict] = {}          # every event built, sent or not (GET /v1/events/<id>)
        self.requests: list[dict] = []             # every /v1 call
        self.deliveries: list[tuple] = []          # (event_id, type, status) per webhook delivery
        self._session_extra: dict[str, dict] = {}  # cs id -> line items / subscription_data (not on the object)
        self._idempotency: dict[str, tuple] = {}   # key -> (method, path, params, status, body)
        self._failures: list[tuple[int, str | None]] = []
        self._invoice_number = 0
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- server lifecycle
    def start(self) -> "FakeStripe":
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-stripe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_addresses(self) -> dict:
        return {k: self.base_url for k in ("api", "connect", "files", "meter_events")}

    def client(self, api_key: str = "sk_test_fake", **kwargs) -> stripe.StripeClient:
        return stripe.StripeClient(api_key, base_addresses=self.base_addresses, **kwargs)

    def fail_next(self, n: int = 1, status: int = 500, should_retry: bool | None = None) -> None:
        """The next n /v1 requests answer ``status`` with an api_error body (before any state change).

        Replaces any failures still pending, so ``fail_next(0)`` cancels them. ``should_retry`` adds
        the ``Stripe-Should-Retry`` header, which the client obeys over the status code."""
        header = None if should_retry is None else str(bool(should_retry)).lower()
        with self._lock:
            self._failures = [(status, header)] * n

    # ---------------------------------------------------------------- /v1 dispatch
    def _handle_api(self, method: str, path: str, params: dict, headers) -> tuple[int, bytes, dict]:
        key = headers.get("Idempotency-Key")
        out_headers = {"Request-Id": new_id("req"), "Stripe-Version": headers.get("Stripe-Version") or stripe.api_version}
        with self._lock:
            record = {"method": method, "path": path, "params": params, "idempotency_key": key,
                      "status": None, "replayed": False}
            self.requests.append(record)
            if self._failures:
                status, should_retry = self._failures.pop(0)
                if should_retry is not None:
                    out_headers["Stripe-Should-Retry"] = should_retry
                err = StripeAPIError(status, "Fake Stripe: injected failure.", type="api_error")
                record["status"] = status
                return status, json.dumps(err.body).encode(), out_headers
            if method == "POST" and key and key in self._idempotency:
                s_method, s_path, s_params, status, body = self._idempotency[key]
                if (s_method, s_path, s_params) != (method, path, params):
                    err = StripeAPIError(400, "Keys for idempotent requests can only be used with the same "
                                              f"parameters they were first used with. Key: '{key}'",
                                         type="idempotency_error")
                    status, body = err.status, json.dumps(err.body).encode()
                else:
                    out_headers["Idempotent-Replayed"] = "true"
                    record["replayed"] = True
                record["status"] = status
                return status, body, out_headers
            try:
                status, obj = self._route(method, path, params, headers)
                expand = params.get("expand") or []
                obj = self._expand(copy.deepcopy(obj), [expand] if isinstance(expand, str) else expand)
            except StripeAPIError as exc:
                status, obj = exc.status, exc.body
            body = json.dumps(obj).encode()
            if method == "POST" and key:
                self._idempotency[key] = (method, path, params, status, body)
            record["status"] = status
            return status, body, out_headers

    def _route(self, method, path, params, headers):
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            raise StripeAPIError(401, "You did not provide an API key.")
        for route_method, pattern, handler in _ROUTES:
            m = pattern.fullmatch(path)
            if m and route_method == method:
                return 200, handler(self, params, *m.groups())
        raise StripeAPIError(404, f"Unrecognized request URL ({method}: {path}).")

    def _get(self, store: str, kind: str, obj_id: str, param: str = "id") -> dict:
        obj = getattr(self, store).get(obj_id)
        if obj is None:
            raise _missing(kind, obj_id, param)
        return obj

    def _expand(self, node, paths: list[str]):
        for p in paths:
            self._expand_path(node, p.split("."))
        return node

    def _expand_path(self, node, parts):
        if isinstance(node, list):
            for item in node:
                self._expand_path(item, parts)
        elif isinstance(node, dict) and parts and parts[0] in node:
            head, rest = parts[0], parts[1:]
            if rest:
                self._expand_path(node[head], rest)
            elif isinstance(node[head], str) and head in _EXPANDABLE:
                target = getattr(self, _EXPANDABLE[head]).get(node[head])
                if target is not None:
                    node[head] = copy.deepcopy(target)

    # ---------------------------------------------------------------- endpoints
    def _create_customer(self, p):
        cus = {"id": new_id("cus"), "object": "customer", "created": int(time.time()), "email": p.get("email"),
               "name": p.get("name"), "description": p.get("description"), "metadata": {}, "livemode": False}
        _merge_metadata(cus, p.get("metadata"))
        self.customers[cus["id"]] = cus
        return cus

    def _create_product(self, p):
        pid = p.get("id") or new_id("prod")
        if pid in self.products:
            raise StripeAPIError(400, "Product already exists.", code="resource_already_exists", param="id")
        now = int(time.time())
        prod = {"id": pid, "object": "product", "active": _bool(p.get("active", True)), "name": p.get("name"),
                "description": p.get("description"), "metadata": {}, "default_price": None, "created": now,
                "updated": now, "livemode": False, "type": "service"}
        _merge_metadata(prod, p.get("metadata"))
        self.products[pid] = prod
        return prod

    def _update_product(self, p, pid):
        prod = self._get("products", "product", pid)
        for field in ("name", "description"):
            if field in p:
                prod[field] = p[field] or None
        if "active" in p:
            prod["active"] = _bool(p["active"])
        _merge_metadata(prod, p.get("metadata"))
        prod["updated"] = int(time.time())
        return prod

    def _claim_lookup_key(self, price_id, lookup_key, transfer):
        for other in self.prices.values():
            if other["id"] != price_id and lookup_key and other["lookup_key"] == lookup_key:
                if not transfer:
                    raise StripeAPIError(400, f"A price (`{other['id']}`) already uses that lookup key.",
                                         param="lookup_key")
                other["lookup_key"] = None

    def _create_price(self, p):
        if "product_data" in p:
            p = {**p, "product": self._create_product(p["product_data"])["id"]}
        self._get("products", "product", p.get("product") or "", param="product")
        if not p.get("currency"):
            raise StripeAPIError(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        recurring = None
        if isinstance(p.get("recurring"), dict):
            recurring = {"interval": p["recurring"].get("interval", "month"),
                         "interval_count": int(p["recurring"].get("interval_count", 1)),
                         "usage_type": "licensed", "meter": None, "trial_period_days": None}
        price_id = new_id("price")
        self._claim_lookup_key(price_id, p.get("lookup_key"), _bool(p.get("transfer_lookup_key", False)))
        amount = int(p["unit_amount"]) if p.get("unit_amount") not in (None, "") else None
        price = {"id": price_id, "object": "price", "active": _bool(p.get("active", True)),
                 "currency": p["currency"].lower(), "unit_amount": amount,
                 "unit_amount_decimal": None if amount is None else str(amount), "product": p["product"],
                 "recurring": recurring, "type": "recurring" if recurring else "one_time",
                 "lookup_key": p.get("lookup_key") or None, "nickname": p.get("nickname") or None,
                 "metadata": {}, "billing_scheme": "per_unit", "tax_behavior": "unspecified",
                 "created": int(time.time()), "livemode": False}
        _merge_metadata(price, p.get("metadata"))
        self.prices[price_id] = price
        return price

    def _update_price(self, p, price_id):
        price = self._get("prices", "price", price_id)
        if "active" in p:
            price["active"] = _bool(p["active"])
        if "nickname" in p:
            price["nickname"] = p["nickname"] or None
        if "lookup_key" in p:
            self._claim_lookup_key(price_id, p["lookup_key"], _bool(p.get("transfer_lookup_key", False)))
            price["lookup_key"] = p["lookup_key"] or None
        _merge_metadata(price, p.get("metadata"))
        return price

    def _list_prices(self, p):
        data = list(reversed(self.prices.values()))
        if p.get("lookup_keys"):
            keys = p["lookup_keys"] if isinstance(p["lookup_keys"], list) else [p["lookup_keys"]]
            data = [x for x in data if x["lookup_key"] in keys]
        if "active" in p:
            data = [x for x in data if x["active"] == _bool(p["active"])]
        for field in ("product", "currency", "type"):
            if field in p:
                data = [x for x in data if x[field] == p[field]]
        return _list_object(data[: int(p.get("limit", 10))], "/v1/prices")

    def _create_checkout_session(self, p):
        if p.get("customer"):
            self._get("customers", "customer", p["customer"], param="customer")
        items = []
        for i, li in enumerate(p.get("line_items") or []):
            price = self._get("prices", "price", li.get("price") or "", param=f"line_items[{i}][price]")
            items.append({"price": price["id"], "quantity": int(li.get("quantity", 1))})
        if not items:
            raise StripeAPIError(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
        cs_id = new_id("cs_test", 58)
        first = self.prices[items[0]["price"]]
        now = int(time.time())
        session = {"id": cs_id, "object": "checkout.session", "mode": p.get("mode", "payment"),
                   "customer": p.get("customer"), "customer_email": p.get("customer_email"),
                   "subscription": None, "invoice": None, "client_reference_id": p.get("client_reference_id"),
                   "metadata": {}, "status": "open", "payment_status": "unpaid",
                   "amount_total": sum((self.prices[x["price"]]["unit_amount"] or 0) * x["quantity"] for x in items),
                   "currency": first["currency"], "url": f"{self.base_url}/pay/{cs_id}",
                   "success_url": p.get("success_url"), "cancel_url": p.get("cancel_url"),
                   "created": now, "expires_at": now + DAY, "livemode": False}
        _merge_metadata(session, p.get("metadata"))
        sub_data = p.get("subscription_data") or {}
        self._session_extra[cs_id] = {"line_items": items, "subscription_metadata": dict(sub_data.get("metadata") or {})}
        self.checkout_sessions[cs_id] = session
        return session

    def _list_subscriptions(self, p):
        data = list(reversed(self.subscriptions.values()))
        for field in ("customer", "status"):
            if field in p and not (field == "status" and p[field] == "all"):
                data = [x for x in data if x[field] == p[field]]
        if "status" not in p:
            data = [x for x in data if x["status"] != "canceled"]
        return _list_object(data[: int(p.get("limit", 10))], "/v1/subscriptions")

    def _update_subscription(self, p, sub_id):
        sub = self._get("subscriptions", "subscription", sub_id)
        for i, change in enumerate(p.get("items") or []):
            item = next((x for x in sub["items"]["data"] if x["id"] == change.get("id")), None)
            if item is None:
                raise _missing("subscription item", change.get("id") or "", param=f"items[{i}][id]")
            if change.get("price"):
                item["price"] = copy.deepcopy(self._get("prices", "price", change["price"], param=f"items[{i}][price]"))
            if "quantity" in change:
                item["quantity"] = int(change["quantity"])
        if "proration_behavior" in p:
            sub["last_proration_behavior"] = p["proration_behavior"]
        if "cancel_at_period_end" in p:
            sub["cancel_at_period_end"] = _bool(p["cancel_at_period_end"])
            sub["cancel_at"] = sub["current_period_end"] if sub["cancel_at_period_end"] else None
        _merge_metadata(sub, p.get("metadata"))
        return sub

    def _list_invoices(self, p):
        data = list(reversed(self.invoices.values()))
        for field in ("customer", "subscription", "status"):
            if field in p:
                data = [x for x in data if x[field] == p[field]]
        return _list_object(data[: int(p.get("limit", 10))], "/v1/invoices")

    def _create_portal_session(self, p):
        self._get("customers", "customer", p.get("customer") or "", param="customer")
        bps_id = new_id("bps")
        session = {"id": bps_id, "object": "billing_portal.session", "customer": p["customer"],
                   "return_url": p.get("return_url"), "url": f"{self.base_url}/portal/{bps_id}",
                   "created": int(time.time()), "configuration": "bpc_fake", "flow": None,
                   "locale": None, "on_behalf_of": None, "livemode": False}
        self.portal_sessions[bps_id] = session
        return session

    # ---------------------------------------------------------------- object builders (lock held)
    @staticmethod
    def _period_seconds(price: dict) -> int:
        rec = price.get("recurring") or {"interval": "month", "interval_count": 1}
        return _INTERVAL_SECONDS[rec["interval"]] * rec.get("interval_count", 1)

    def _set_period(self, sub: dict, start: int) -> None:
        end = start + self._period_seconds(sub["items"]["data"][0]["price"])
        sub["current_period_start"], sub["current_period_end"] = start, end
        for item in sub["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = start, end

    def _new_subscription(self, customer: str, items: list[dict], metadata: dict) -> dict:
        now = int(time.time())
        sub_id = new_id("sub", 24)
        sub_items = [{"id": new_id("si"), "object": "subscription_item", "subscription": sub_id,
                      "price": copy.deepcopy(self.prices[x["price"]]), "quantity": x["quantity"],
                      "metadata": {}, "created": now} for x in items]
        sub = {"id": sub_id, "object": "subscription", "customer": customer, "status": "active", "created": now,
               "start_date": now, "billing_cycle_anchor": now, "metadata": dict(metadata),
               "currency": sub_items[0]["price"]["currency"], "collection_method": "charge_automatically",
               "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None, "ended_at": None,
               "trial_start": None, "trial_end": None, "latest_invoice": None, "last_proration_behavior": None,
               "items": {"object": "list", "data": sub_items, "has_more": False, "total_count": len(sub_items),
                         "url": f"/v1/subscription_items?subscription={sub_id}"},
               "livemode": False}
        self._set_period(sub, now)
        self.subscriptions[sub_id] = sub
        return sub

    def _new_invoice(self, sub: dict, billing_reason: str) -> dict:
        now = int(time.time())
        self._invoice_number += 1
        inv_id = new_id("in", 24)
        lines = [{"id": new_id("il"), "object": "line_item", "quantity": it["quantity"],
                  "amount": (it["price"]["unit_amount"] or 0) * it["quantity"], "currency": it["price"]["currency"],
                  "description": it["price"]["nickname"],
                  "period": {"start": it["current_period_start"], "end": it["current_period_end"]},
                  "pricing": {"type": "price_details",
                              "price_details": {"price": it["price"]["id"], "product": it["price"]["product"]}},
                  "parent": {"type": "subscription_item_details",
                             "subscription_item_details": {"subscription": sub["id"], "subscription_item": it["id"]}}}
                 for it in sub["items"]["data"]]
        total = sum(line["amount"] for line in lines)
        inv = {"id": inv_id, "object": "invoice", "customer": sub["customer"], "subscription": sub["id"],
               "parent": {"type": "subscription_details", "quote_details": None,
                          "subscription_details": {"subscription": sub["id"], "metadata": dict(sub["metadata"])}},
               "status": "open", "amount_due": total, "amount_paid": 0, "amount_remaining": total,
               "subtotal": total, "total": total, "currency": sub["currency"],
               "number": f"FAKE-{self._invoice_number:04d}", "billing_reason": billing_reason,
               "collection_method": "charge_automatically",
               "hosted_invoice_url": f"{self.base_url}/invoice/{inv_id}",
               "invoice_pdf": f"{self.base_url}/invoice/{inv_id}.pdf", "created": now,
               "period_start": sub["current_period_start"], "period_end": sub["current_period_end"],
               "attempt_count": 0, "attempted": False, "next_payment_attempt": None,
               "status_transitions": {"finalized_at": now, "paid_at": None, "voided_at": None,
                                      "marked_uncollectible_at": None},
               "lines": _list_object(lines, f"/v1/invoices/{inv_id}/lines"), "livemode": False}
        self.invoices[inv_id] = inv
        sub["latest_invoice"] = inv_id
        return inv

    @staticmethod
    def _mark_paid(inv: dict) -> None:
        inv.update(status="paid", amount_paid=inv["amount_due"], amount_remaining=0, attempted=True,
                   attempt_count=max(inv["attempt_count"], 1), next_payment_attempt=None)
        inv["status_transitions"]["paid_at"] = int(time.time())

    def _sub(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise KeyError(f"FakeStripe has no subscription {sub_id!r}")
        return self.subscriptions[sub_id]

    # ---------------------------------------------------------------- events and webhooks
    def event(self, type: str, obj: dict, previous_attributes: dict | None = None) -> dict:
        """Build (not send) an event carrying a deep-copied snapshot of ``obj``."""
        with self._lock:
            data = {"object": copy.deepcopy(obj)}
            if previous_attributes is not None:
                data["previous_attributes"] = copy.deepcopy(previous_attributes)
            evt = {"id": new_id("evt", 24), "object": "event", "api_version": stripe.api_version,
                   "created": int(time.time()), "livemode": False, "type": type, "data": data,
                   "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}}
            self.events[evt["id"]] = evt
            return copy.deepcopy(evt)

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
        ts = int(time.time()) if timestamp is None else int(timestamp)
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{ts}.".encode() + payload, hashlib.sha256)
        return f"t={ts},v1={mac.hexdigest()}"

    def transport(self, body: bytes, headers: dict) -> int | None:
        """Default delivery: POST to ``webhook_url``. Tests may replace ``fake.transport``."""
        if not self.webhook_url:
            return None
        request = urllib.request.Request(self.webhook_url, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, OSError):
            return None

    def send(self, events: list[dict]) -> None:
        """Sign and deliver each event. Never call this with the state lock held."""
        for evt in events:
            body = json.dumps(evt).encode()
            headers = {"Content-Type": "application/json", "Stripe-Signature": self.sign(body)}
            status = self.transport(body, headers)
            with self._lock:
                self.deliveries.append((evt["id"], evt["type"], status))

    def _emit(self, events: list[dict], send: bool) -> list[dict]:
        if send:
            self.send(events)
        return events

    # ---------------------------------------------------------------- control methods for tests
    def complete_checkout(self, cs_id: str, send: bool = True) -> list[dict]:
        """What paying on the hosted checkout page does (subscription + paid first invoice)."""
        with self._lock:
            session = self._get("checkout_sessions", "checkout session", cs_id)
            if session["status"] != "open":
                return []
            extra = self._session_extra[cs_id]
            if not session["customer"]:
                session["customer"] = self._create_customer({"email": session["customer_email"]})["id"]
            events = []
            session.update(status="complete", payment_status="paid")
            if session["mode"] == "subscription":
                sub = self._new_subscription(session["customer"], extra["line_items"], extra["subscription_metadata"])
                inv = self._new_invoice(sub, "subscription_create")
                self._mark_paid(inv)
                session["subscription"] = sub["id"]
                session["invoice"] = inv["id"]
                events = [self.event("customer.subscription.created", sub), self.event("invoice.paid", inv)]
            events.insert(0, self.event("checkout.session.completed", session))
        return self._emit(events, send)

    def fail_payment(self, sub_id: str, send: bool = True) -> list[dict]:
        with self._lock:
            sub = self._sub(sub_id)
            previous = {"status": sub["status"], "latest_invoice": sub["latest_invoice"]}
            inv = self._new_invoice(sub, "subscription_cycle")
            inv.update(attempt_count=1, attempted=True, next_payment_attempt=int(time.time()) + 3 * DAY)
            sub["status"] = "past_due"
            events = [self.event("invoice.payment_failed", inv),
                      self.event("customer.subscription.updated", sub, previous)]
        return self._emit(events, send)

    def mark_unpaid(self, sub_id: str, send: bool = True) -> list[dict]:
        with self._lock:
            sub = self._sub(sub_id)
            previous = {"status": sub["status"]}
            sub["status"] = "unpaid"
            events = [self.event("customer.subscription.updated", sub, previous)]
        return self._emit(events, send)

    def pay(self, sub_id: str, send: bool = True) -> list[dict]:
        with self._lock:
            sub = self._sub(sub_id)
            if sub["status"] == "canceled":
                raise ValueError(f"{sub_id} is canceled; Stripe cannot reactivate it")
            previous = {"status": sub["status"], "latest_invoice": sub["latest_invoice"],
                        "current_period_start": sub["current_period_start"],
                        "current_period_end": sub["current_period_end"]}
            self._set_period(sub, int(time.time()))
            inv = next((i for i in reversed(self.invoices.values())
                        if i["subscription"] == sub_id and i["status"] == "open"), None)
            if inv is None:
                inv = self._new_invoice(sub, "subscription_cycle")
            sub["latest_invoice"] = inv["id"]
            self._mark_paid(inv)
            sub["status"] = "active"
            events = [self.event("invoice.paid", inv), self.event("customer.subscription.updated", sub, previous)]
        return self._emit(events, send)

    def cancel(self, sub_id: str, send: bool = True) -> list[dict]:
        with self._lock:
            sub = self._sub(sub_id)
            if sub["status"] == "canceled":
                raise ValueError(f"{sub_id} is already canceled")
            now = int(time.time())
            sub.update(status="canceled", canceled_at=now, ended_at=now)
            events = [self.event("customer.subscription.deleted", sub)]
        return self._emit(events, send)

    def trial_will_end(self, sub_id: str, send: bool = True) -> list[dict]:
        with self._lock:
            events = [self.event("customer.subscription.trial_will_end", self._sub(sub_id))]
        return self._emit(events, send)

    # ---------------------------------------------------------------- hosted pages
    def _handle_page(self, method: str, path: str) -> tuple[int, str, dict]:
        parts = path.strip("/").split("/")
        if parts[0] == "pay" and len(parts) == 2 and parts[1] in self.checkout_sessions:
            session = self.checkout_sessions[parts[1]]
            if method == "POST":
                self.complete_checkout(session["id"])
                return 303, "", {"Location": session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])}
            return 200, self._checkout_page(session), {}
        if parts[0] == "portal" and len(parts) in (2, 3) and parts[1] in self.portal_sessions:
            portal = self.portal_sessions[parts[1]]
            sub = self._portal_subscription(portal["customer"])
            if method == "POST" and len(parts) == 3 and parts[2] in ("pay", "cancel") and sub:
                (self.pay if parts[2] == "pay" else self.cancel)(sub["id"])
                return 303, "", {"Location": portal["return_url"]}
            if method == "GET" and len(parts) == 2:
                return 200, self._portal_page(portal, sub), {}
        if parts[0] == "invoice" and len(parts) == 2 and parts[1].removesuffix(".pdf") in self.invoices:
            inv = self.invoices[parts[1].removesuffix(".pdf")]
            return 200, _page("Fake Stripe Invoice", f"<p>Invoice {_e(inv['number'])}: {_e(inv['status'])}, "
                                                     f"{_money(inv['amount_due'], inv['currency'])}</p>"), {}
        return 404, _page("Not found", "<p>Fake Stripe: no such page.</p>"), {}

    def _checkout_page(self, session: dict) -> str:
        with self._lock:
            rows = []
            for li in self._session_extra[session["id"]]["line_items"]:
                price = self.prices[li["price"]]
                label = price["nickname"] or self.products[price["product"]]["name"] or price["id"]
                per = f" / {price['recurring']['interval']}" if price["recurring"] else ""
                rows.append(f"<li>{_e(label)}: {_money(price['unit_amount'], price['currency'])}{per} "
                            f"&times; {li['quantity']}</li>")
            body = f"<ul>{''.join(rows)}</ul>"
            if session["status"] == "open":
                body += f'<form method="post" action="/pay/{_e(session["id"])}"><button type="submit">Pay</button></form>'
            else:
                body += "<p>This session is already paid.</p>"
            if session["cancel_url"]:
                body += f'<p><a href="{_e(session["cancel_url"])}">Back</a></p>'
        return _page("Fake Stripe Checkout", body)

    def _portal_subscription(self, customer: str) -> dict | None:
        with self._lock:
            subs = [s for s in reversed(self.subscriptions.values()) if s["customer"] == customer]
            return next((s for s in subs if s["status"] != "canceled"), subs[0] if subs else None)

    def _portal_page(self, portal: dict, sub: dict | None) -> str:
        with self._lock:
            if sub is None:
                body = '<p id="status">No subscription</p>'
            else:
                body = f'<p id="status">Subscription status: <b>{_e(sub["status"])}</b></p>'
                if sub["status"] != "canceled":
                    for action, label in (("pay", "Pay now"), ("cancel", "Cancel plan")):
                        body += (f'<form method="post" action="/portal/{_e(portal["id"])}/{action}">'
                                 f'<button type="submit">{label}</button></form>')
            body += f'<p><a href="{_e(portal["return_url"] or "/")}">Return</a></p>'
        return _page("Fake Stripe Portal", body)


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _money(amount: int | None, currency: str) -> str:
    return f"{(amount or 0) / 100:.2f} {currency.upper()}"


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{_e(title)}</title></head>'
            f"<body><h1>{_e(title)}</h1>{body}</body></html>")


_ROUTES = [(m, re.compile(p), h) for m, p, h in [
    ("POST", r"/v1/customers", FakeStripe._create_customer),
    ("GET", r"/v1/customers/([^/]+)", lambda f, p, i: f._get("customers", "customer", i)),
    ("POST", r"/v1/products", FakeStripe._create_product),
    ("GET", r"/v1/products/([^/]+)", lambda f, p, i: f._get("products", "product", i)),
    ("POST", r"/v1/products/([^/]+)", FakeStripe._update_product),
    ("POST", r"/v1/prices", FakeStripe._create_price),
    ("GET", r"/v1/prices", FakeStripe._list_prices),
    ("GET", r"/v1/prices/([^/]+)", lambda f, p, i: f._get("prices", "price", i)),
    ("POST", r"/v1/prices/([^/]+)", FakeStripe._update_price),
    ("POST", r"/v1/checkout/sessions", FakeStripe._create_checkout_session),
    ("GET", r"/v1/checkout/sessions/([^/]+)", lambda f, p, i: f._get("checkout_sessions", "checkout.session", i)),
    ("GET", r"/v1/subscriptions", FakeStripe._list_subscriptions),
    ("GET", r"/v1/subscriptions/([^/]+)", lambda f, p, i: f._get("subscriptions", "subscription", i)),
    ("POST", r"/v1/subscriptions/([^/]+)", FakeStripe._update_subscription),
    ("GET", r"/v1/invoices", FakeStripe._list_invoices),
    ("GET", r"/v1/invoices/([^/]+)", lambda f, p, i: f._get("invoices", "invoice", i)),
    ("POST", r"/v1/billing_portal/sessions", FakeStripe._create_portal_session),
    ("GET", r"/v1/events/([^/]+)", lambda f, p, i: f._get("events", "event", i)),
]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeStripe


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1.0"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        try:
            if url.path.startswith("/v1/"):
                params = parse_form(body if method == "POST" else url.query)
                status, payload, headers = fake._handle_api(method, url.path, params, self.headers)
                self._respond(status, payload, "application/json", headers)
            else:
                status, page, headers = fake._handle_page(method, url.path)
                self._respond(status, page.encode(), "text/html; charset=utf-8", headers)
        except Exception as exc:  # a bug in the fake: answer like Stripe would, don't drop the connection
            traceback.print_exc()
            error = StripeAPIError(500, f"Fake Stripe crashed: {exc!r}", type="api_error")
            self._respond(500, json.dumps(error.body).encode(), "application/json", {"Stripe-Should-Retry": "false"})

    def _respond(self, status: int, payload: bytes, content_type: str, headers: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
