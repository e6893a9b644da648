"""GridDesk domain layer: pure Python + SQLModel; never imports reflex."""
