"""Market data as alpaca-py's StockHistoricalDataClient reads it (/v2/stocks/...), in Alpaca's
shapes, from the venue's candles, quotes and tape."""
