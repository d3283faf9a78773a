"""Paper accounts: uid, API keys, balances and account settings.

An :class:`Account` is plain state; the venue reads and changes it under its lock. Keys are
generated with :mod:`secrets` unless given, and their ``repr`` never shows the secret or the
passphrase.

>>> key = ApiKey.generate(read_only=True)
>>> key.perm_type, "secret" in repr(key)
('read_only', False)
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypedDict

from . import defaults
from .instruments import Catalogue

__all__ = [
    "DEFAULT_BALANCES",
    "PERMISSIONS",
    "Account",
    "ApiKey",
    "Balance",
    "Countdown",
    "KeyCredentials",
    "SymbolConfig",
    "Transfer",
]

#: Permissions of the keys the exchange makes (spec §1.6): UTA management and UTA trade.
PERMISSIONS: tuple[str, ...] = ("uta_mgt", "uta_trade")

#: A new paper account's wallet.
DEFAULT_BALANCES: Mapping[str, str] = {"USDT": "100000", "BTC": "1", "ETH": "10"}

_ALNUM = string.ascii_letters + string.digits


def _token(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key of an account. ``read_only`` keys may not call write endpoints (40014)."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)
    read_only: bool = False
    permissions: tuple[str, ...] = PERMISSIONS

    @classmethod
    def generate(cls, *, read_only: bool = False) -> ApiKey:
        """A fresh key in Bitget's shapes: ``bg_`` + 32 hex, a 64-hex secret, a passphrase."""
        return cls(
            api_key="bg_" + secrets.token_hex(16),
            secret=secrets.token_hex(32),
            passphrase=_token(16),
            read_only=read_only,
        )

    @property
    def perm_type(self) -> str:
        """``read_only`` or ``read_and_write`` (:data:`defaults.PERM_TYPE_READ_WRITE`)."""
        return defaults.PERM_TYPE_READ_ONLY if self.read_only else defaults.PERM_TYPE_READ_WRITE

    def credentials(self) -> KeyCredentials:
        """``{"api_key", "api_secret", "api_pass"}``: the keyword arguments of a client."""
        return {"api_key": self.api_key, "api_secret": self.secret, "api_pass": self.passphrase}


class KeyCredentials(TypedDict):
    """One key as the keyword arguments of a client: ``BitgetClient(**key, base_url=...)``."""

    api_key: str
    api_secret: str
    api_pass: str


@dataclass(slots=True)
class Balance:
    """One coin of the wallet. ``balance = available + locked``."""

    available: Decimal
    locked: Decimal = Decimal(0)
    debt: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.available + self.locked


@dataclass(slots=True)
class SymbolConfig:
    """Leverage and margin mode of one futures symbol (spec §4.4.2 ``symbolConfigList``).

    ``long_leverage``/``short_leverage`` hold per-side values set for isolated hedge-mode
    positions (spec §4.4.4); ``leverage`` is the value reported.
    """

    category: str
    symbol: str
    margin_mode: str
    leverage: int
    long_leverage: int | None = None
    short_leverage: int | None = None


def parse_balances(
    balances: Mapping[str, str | Decimal | int], catalogue: Catalogue
) -> dict[str, Balance]:
    """Validate a ``{coin: amount}`` mapping: known coins, finite non-negative amounts."""
    known = set(catalogue.coins())
    out: dict[str, Balance] = {}
    for coin, amount in balances.items():
        name = str(coin).upper()
        if name not in known:
            raise ValueError(
                f"unknown coin {coin!r} in balances; the catalogue knows {', '.join(sorted(known))}"
            )
        if isinstance(amount, float):
            raise TypeError(f"balance of {name} must be a str or Decimal, not float")
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            raise ValueError(f"balance of {name} is not a number: {amount!r}") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"balance of {name} must be a finite amount ≥ 0, got {amount!r}")
        out[name] = Balance(available=value)
    return out


@dataclass(slots=True)
class Account:
    """A unified trading account (spec §4.4)."""

    uid: str
    keys: list[ApiKey]
    balances: dict[str, Balance]
    registered_ms: int
    symbol_configs: dict[tuple[str, str], SymbolConfig]
    coin_leverage: dict[str, int]
    account_mode: str = "unified"
    asset_mode: str = defaults.ASSET_MODE
    account_level: str = defaults.ACCOUNT_LEVEL
    hold_mode: str = defaults.HOLD_MODE
    stp_mode: str = defaults.STP_MODE

    @classmethod
    def open(
        cls,
        *,
        catalogue: Catalogue,
        registered_ms: int,
        keys: list[ApiKey],
        balances: Mapping[str, str | Decimal | int] | None = None,
        uid: str | None = None,
    ) -> Account:
        """A new account with the default settings and ``balances`` (default
        :data:`DEFAULT_BALANCES`)."""
        configs = {
            (i.category, i.symbol): SymbolConfig(
                category=i.category,
                symbol=i.symbol,
                margin_mode=defaults.MARGIN_MODE,
                leverage=min(
                    defaults.FUTURES_LEVERAGE, i.max_leverage or defaults.FUTURES_LEVERAGE
                ),
            )
            for i in catalogue
            if i.is_futures
        }
        # Margin borrowing leverage per coin that can be traded on a spot book.
        spot_coins: dict[str, None] = {}
        for inst in catalogue.in_category("SPOT"):
            spot_coins.setdefault(inst.base_coin)
            spot_coins.setdefault(inst.quote_coin)
        return cls(
            uid=uid or str(secrets.randbelow(9 * 10**9) + 10**9),
            keys=list(keys),
            balances=parse_balances(DEFAULT_BALANCES if balances is None else balances, catalogue),
            registered_ms=registered_ms,
            symbol_configs=configs,
            coin_leverage=dict.fromkeys(spot_coins, defaults.MARGIN_COIN_LEVERAGE),
        )

    def balance(self, coin: str) -> Balance:
        """The wallet row of ``coin``, created empty the first time a coin is received."""
        row = self.balances.get(coin)
        if row is None:
            row = self.balances[coin] = Balance(available=Decimal(0))
        return row

    def __repr__(self) -> str:
        return f"Account(uid={self.uid!r}, keys={[k.api_key for k in self.keys]!r})"


@dataclass(slots=True)
class Countdown:
    """The account's dead man's switch (spec §4.1.9, §5.6): armed while ``deadline_ms`` is
    set; at the deadline every open order is cancelled."""

    seconds: int = 0
    deadline_ms: int | None = None

    @property
    def armed(self) -> bool:
        return self.deadline_ms is not None


@dataclass(frozen=True, slots=True)
class Transfer:
    """One transfer between the unified account (``uta``) and the copy-trading lead account
    (``lead``, spec §4.6)."""

    transfer_id: str
    from_type: str
    to_type: str
    coin: str
    amount: Decimal
    created_ms: int
