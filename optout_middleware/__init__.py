"""optout_middleware: honour machine-readable AI-training opt-outs in Scrapy crawls."""
