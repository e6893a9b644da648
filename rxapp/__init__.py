"""GridDesk (网格服务平台)."""
