"""What the tests share: fake platform APIs, the gateway harness, the demo data helpers."""
