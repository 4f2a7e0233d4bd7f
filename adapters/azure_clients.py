"""What the Azure engines share: credentials, a budget-aware retry policy, error mapping.

The fallback chain owns latency (it wraps each call in a time budget), so the SDK
retries little: one retry on 5xx/connection errors after a short back-off, and a 429
is retried only when its Retry-After fits in `max_retry_after_s`; otherwise the
error surfaces at once and the chain moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from azure.core.credentials import AzureKeyCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import AsyncRetryPolicy

from adapters.contracts import EngineError
from adapters.locales import primary_language

T = TypeVar("T")
ClientT = TypeVar("ClientT")


@dataclass(frozen=True)
class AzureCallOptions:
    """How hard one SDK call may try before giving the chain its error."""

    retry_total: int = 1
    retry_backoff_factor: float = 0.1
    retry_backoff_max: float = 0.5
    max_retry_after_s: float = 1.0
    connection_timeout_s: float = 3.0
    read_timeout_s: float = 10.0

    @classmethod
    def for_budget(cls, call_timeout_s: float) -> AzureCallOptions:
        """Options that fit a per-call budget: a 429 is waited only up to half of it."""
        return cls(
            max_retry_after_s=call_timeout_s / 2,
            connection_timeout_s=min(3.0, call_timeout_s),
            read_timeout_s=max(call_timeout_s, 1.0),
        )

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments every SDK client of ours is built with."""
        return {
            "retry_policy": BudgetedRetryPolicy(
                max_retry_after_s=self.max_retry_after_s,
                retry_total=self.retry_total,
                retry_backoff_factor=self.retry_backoff_factor,
                retry_backoff_max=self.retry_backoff_max,
            ),
            "connection_timeout": self.connection_timeout_s,
            "read_timeout": self.read_timeout_s,
        }


class RateLimitedError(EngineError):
    """The service answered 429 and asked for a wait longer than the budget allows."""

    def __init__(self, engine: str, retry_after_s: float | None) -> None:
        wait = "unknown" if retry_after_s is None else f"{retry_after_s:g}s"
        super().__init__(engine, f"rate limited (429), Retry-After {wait}")
        self.retry_after_s = retry_after_s


class BudgetedRetryPolicy(AsyncRetryPolicy):
    """azure-core's retry policy, except that a Retry-After beyond the budget is not waited."""

    def __init__(self, *, max_retry_after_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_retry_after_s = max_retry_after_s

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after is not None and retry_after > self.max_retry_after_s:
            return False
        return super().is_retry(settings, response)


def make_credential(key: str | None) -> tuple[AzureKeyCredential | AsyncTokenCredential, bool]:
    """Key credential when a key is set, else DefaultAzureCredential; True when we own it."""
    if key:
        return AzureKeyCredential(key), False
    # Imported here: azure-identity is only needed for keyless deployments.
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential(), True


def retry_after_of(error: HttpResponseError) -> float | None:
    """Seconds from a response's Retry-After header, when it is a number."""
    response = error.response
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


@contextlib.asynccontextmanager
async def sdk_errors(engine: str) -> AsyncIterator[None]:
    """Turn azure-core failures into EngineError so the chain can record a reason."""
    try:
        yield
    except ClientAuthenticationError as exc:
        raise EngineError(engine, f"authentication failed ({exc.status_code})") from exc
    except (DecodeError, DeserializationError) as exc:
        raise EngineError(engine, f"malformed response: {type(exc).__name__}") from exc
    except HttpResponseError as exc:
        if exc.status_code is not None and 200 <= exc.status_code < 300:
            # A success status whose body the SDK could not read.
            raise EngineError(engine, "malformed response: unreadable body") from exc
        if exc.status_code == 429:
            raise RateLimitedError(engine, retry_after_of(exc)) from exc
        code = getattr(exc.error, "code", None) if exc.error is not None else None
        detail = f" {code}" if code else ""
        raise EngineError(engine, f"HTTP {exc.status_code}{detail}") from exc
    except ServiceRequestError as exc:
        raise EngineError(engine, f"request failed: {type(exc).__name__}") from exc
    except ServiceResponseError as exc:
        raise EngineError(engine, f"response failed: {type(exc).__name__}") from exc
    except AzureError as exc:
        raise EngineError(engine, f"{type(exc).__name__}") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # The SDKs raise these when a 200 body has the wrong shape.
        raise EngineError(engine, f"malformed response: {type(exc).__name__}") from exc


def base_language(code: str) -> str:
    """Service language code -> ISO 639-1 ("zh_chs" -> "zh", "pt-PT" -> "pt", "iw" -> "he")."""
    return primary_language(code)


class LazyClient(Generic[ClientT]):
    """One SDK client, built on first use (inside the event loop), shared by the engines
    of one service (language detection and sentiment use the same Language client) and
    closed when the last engine using it closes."""

    def __init__(self, build: Callable[[Any], ClientT], key: str | None) -> None:
        self._build = build
        self._key = key
        self._client: ClientT | None = None
        self._credential: Any = None
        self._owns_credential = False
        self._users = 0
        self.closed = False

    def attach(self) -> LazyClient[ClientT]:
        """Count one more engine using this client; each calls `close()` once."""
        self._users += 1
        return self

    def get(self) -> ClientT:
        if self.closed:
            raise RuntimeError("the engine was closed")
        if self._client is None:
            self._credential, self._owns_credential = make_credential(self._key)
            self._client = self._build(self._credential)
        return self._client

    @property
    def built(self) -> bool:
        return self._client is not None

    async def close(self) -> None:
        """Close the client (its HTTP session) and any credential we created, once unused."""
        self._users -= 1
        if self._users > 0:
            return
        self.closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.close()  # type: ignore[attr-defined]
        if self._owns_credential and self._credential is not None:
            await self._credential.close()
        self._credential = None


def text_analytics_client(config: Any, options: AzureCallOptions | None = None) -> LazyClient:
    """The lazily built Azure AI Language client for an AzureLanguageConfig."""
    from azure.ai.textanalytics.aio import TextAnalyticsClient

    call_options = options or AzureCallOptions()
    return LazyClient(
        lambda credential: TextAnalyticsClient(config.endpoint, credential, **call_options.client_kwargs()),
        config.key,
    )


async def run_all(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Run calls concurrently; the first failure cancels the rest and is raised as is."""
    if len(calls) == 1:
        return [await calls[0]]
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_as_coroutine(call)) for call in calls]
    except ExceptionGroup as failed:
        first: BaseException = failed
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [task.result() for task in tasks]


async def _as_coroutine(call: Awaitable[T]) -> T:
    return await call


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
