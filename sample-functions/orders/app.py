"""Uses its environment and logs: prices an order with the configured tax rate."""

import logging
import os

from pricing import total_with_tax  # from the `common` layer

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


def handler(event, context):
    items = event.get("items", [])
    rate = float(os.environ["TAX_RATE"])
    logger.info("pricing %d item(s) in %s at tax rate %s", len(items), os.environ["STAGE"], rate)
    total = total_with_tax([item["price"] * item.get("quantity", 1) for item in items], rate)
    print(f"order total {total:.2f} (request {context.aws_request_id})")
    return {"stage": os.environ["STAGE"], "items": len(items), "total": round(total, 2)}
