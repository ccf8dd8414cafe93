"""The WooCommerce connector's protocol against its stand-in: OAuth 1.0a over HTTP, Basic over HTTPS only, wrong
keys → auth_failed, the creation ping, orders as hub events, an outage keeps the last catalog, bad products."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ssl
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.woocommerce.client import WooAuthError, WooClient, oauth1_params
from connectors.woocommerce.connector import WooCommerceConnector
from connectors.woocommerce.standin import WooCommerceStandin
from hub import testing
from hub.events import Order
from hub.secrets import SecretValue


def rfc5849_signature(method: str, url: str, params: dict[str, str], secret: str) -> str:
    """RFC 5849 §3.4.1 written out step by step, independently of the client's code."""
    def enc(text: str) -> str:
        return quote(text, safe="~")

    pairs = sorted((enc(k), enc(v)) for k, v in params.items() if k != "oauth_signature")
    base = "&".join([method, enc(url), enc("&".join(f"{k}={v}" for k, v in pairs))])
    return base64.b64encode(hmac.new((enc(secret) + "&").encode(), base.encode(), hashlib.sha256).digest()).decode()


def test_the_oauth_signature_is_rfc_5849_s() -> None:
    url = "http://store.test/wp-json/wc/v3/products"
    signed = oauth1_params("GET", url, {"per_page": "100", "page": "2", "status": "publish"}, "ck_abc", "cs_x y+z",
                           nonce="n0nce", timestamp=1700000000)
    assert signed["oauth_signature_method"] == "HMAC-SHA256" and signed["oauth_timestamp"] == "1700000000"
    assert signed["oauth_signature"] == rfc5849_signature("GET", url, signed, "cs_x y+z")


async def test_oauth_over_http_pages_through_and_a_replayed_nonce_or_wrong_secret_is_refused() -> None:
    async with WooCommerceStandin(products=250, variants=2) as store:
        client = WooClient(store.url, "ck_standin", "cs_standin", per_page=100)
        pages = [page async for page in client.pages("products", {"status": "publish"})]
        assert [len(p) for p in pages] == [100, 100, 50]
        url = store.url + "/wp-json/wc/v3/products"
        replay = oauth1_params("GET", url, {}, "ck_standin", "cs_standin", nonce="once")
        async with aiohttp.ClientSession() as http:
            async with http.get(url, params=replay) as first, http.get(url, params=replay) as second:
                assert first.status == 200 and second.status == 401
                assert "nonce" in (await second.json())["message"]
            basic_auth = {"Authorization": "Basic " + base64.b64encode(b"ck_standin:cs_standin").decode()}
            async with http.get(url, headers=basic_auth) as basic:
                assert basic.status == 401  # Basic auth only over HTTPS
        wrong = WooClient(store.url, "ck_standin", "cs_wrong")
        with pytest.raises(WooAuthError, match="signature"):
            await wrong.call("GET", "products")
        await client.close()
        await wrong.close()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context, folder / "cert.pem"


async def test_basic_auth_over_https_syncs_the_catalog(tmp_path: Path) -> None:
    context, _ = self_signed(tmp_path)
    async with WooCommerceStandin(products=30, variants=2, ssl_context=context) as store:
        assert store.url.startswith("https://")
        async with testing.shop_hub(tmp_path, store) as hub:
            assert len(hub.catalog("main").products) == 30 and store.auth_failures == 0


async def test_wrong_keys_stop_at_auth_failed(tmp_path: Path, monkeypatch) -> None:
    testing.fast_retries(monkeypatch, WooCommerceConnector)
    async with WooCommerceStandin(products=5) as store:
        async with testing.shop_hub(tmp_path, store, ready=False, consumer_secret=SecretValue("cs_wrong", "test")) as hub:
            shop = hub.connectors["shop"]
            await testing.wait_for(lambda: shop.state == "auth_failed", timeout=10)
            assert "signature" in shop.last_error


async def test_the_creation_ping_is_acknowledged_and_orders_become_hub_events(tmp_path: Path) -> None:
    async with WooCommerceStandin(products=5, variants=2) as store:
        async with testing.shop_hub(tmp_path, store) as hub:
            shop = hub.connectors["shop"]
            await testing.wait_for(lambda: len(store.webhooks.hooks) == 6, timeout=10)
            assert shop.counts["refused"] == 0  # six unsigned pings, none refused, none queued
            sku = store.hub_products()[0]["variants"][1]["sku"]
            with testing.collect(hub, types={"order"}) as orders:
                buyer = Order(platform="woocommerce", room="x", user=testing.User("douyin:v7", "Mia"),
                              order_id="p1", sku=sku, qty=2)
                await store.control().post_events(buyer)
                await testing.wait_for(lambda: len(orders) == 1, timeout=10)
            order = orders[0]
            assert (order.sku, order.qty, order.currency, order.status, order.shop) == (sku, 2, "USD", "paid", "shop")
            price = store.store.find_sku(sku)["price"]
            assert order.amount == Decimal(price) * 2 and (order.platform, order.user.id) == ("douyin", "v7")


async def test_an_outage_keeps_the_last_catalog_and_bad_products_are_reported(tmp_path: Path, monkeypatch) -> None:
    testing.fast_retries(monkeypatch, WooCommerceConnector)
    async with WooCommerceStandin(products=6, variants=1) as store:
        ids = sorted(store.store.products)
        products = store.store.products
        products[ids[0]]["regular_price"] = "-3.00"
        products[ids[1]].update(regular_price="", price="")
        products[ids[4]]["sku"] = products[ids[3]]["sku"]  # the later product with that SKU is skipped
        async with testing.shop_hub(tmp_path, store, reconcile_interval_s=0.2) as hub:
            shop = hub.connectors["shop"]
            assert {p.product_id for p in shop.problems} == {str(ids[0]), str(ids[1]), str(ids[4])}
            assert "duplicate sku" in next(p.reason for p in shop.problems if p.product_id == str(ids[4]))
            good = hub.catalog("main")
            await testing.fault(store, "outage", seconds=2)
            await testing.wait_for(lambda: shop.state == "retrying", timeout=10)
            assert hub.catalog("main") is good and len(good.products) == 3
            await testing.wait_for(lambda: shop.state == "ready", timeout=15)
