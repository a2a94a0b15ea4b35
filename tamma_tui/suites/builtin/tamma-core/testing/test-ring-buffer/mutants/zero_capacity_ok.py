"""A fixed-capacity FIFO that overwrites its oldest item when full."""


class RingBuffer:
    def __init__(self, capacity):
        if capacity < 0:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items = [None] * capacity
        self._start = 0
        self._size = 0

    def __len__(self):
        return self._size

    @property
    def full(self):
        return self._size == self.capacity

    def append(self, item):
        """Add at the newest end; when full, drop the oldest item and return it."""
        end = (self._start + self._size) % self.capacity
        dropped = None
        if self.full:
            dropped = self._items[self._start]
            self._start = (self._start + 1) % self.capacity
        else:
            self._size += 1
        self._items[end] = item
        return dropped

    def pop_oldest(self):
        if self._size == 0:
            raise IndexError("pop from an empty buffer")
        item = self._items[self._start]
        self._items[self._start] = None
        self._start = (self._start + 1) % self.capacity
        self._size -= 1
        return item

    def to_list(self):
        """Items from oldest to newest."""
        return [self._items[(self._start + i) % self.capacity] for i in range(self._size)]
