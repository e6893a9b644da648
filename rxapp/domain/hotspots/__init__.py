"""Hot spots (热点事件): clusters of similar requests close in place and time.

``detector`` matches each new case on intake; ``actions`` are what a
dispatcher does with a hot spot; ``queries`` read them in scope."""
