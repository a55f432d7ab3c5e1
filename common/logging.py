"""Structured logging: every process logs one JSON object per line (or readable
key=value lines when LOG_JSON=0), whether the record came from structlog or stdlib.

The venue's code logs in one style, structlog's keywords: `log.info("order accepted", order_id=7)`.
A library's stdlib record keeps its `extra=` fields too (ExtraAdder)."""


import structlog

_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class StructuredFormatter(structlog.stdlib.ProcessorFormatter):
    def __init__(self, json: bool = True, **kwargs):
        renderer = (
            structlog.processors.JSONRenderer()
            if json
            else structlog.dev.ConsoleRenderer(colors=False)
        )
        super().__init__(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=_PRE_CHAIN,
            **kwargs,
        )


structlog.configure(
    processors=[
        *_PRE_CHAIN,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


__all__ = ["StructuredFormatter", "get_logger"]
