"""Accounts with an overdraft limit and an audit trail of every movement."""


class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, owner, overdraft_limit=0):
        if overdraft_limit < 0:
            raise ValueError("overdraft limit must be >= 0")
        self.owner = owner
        self.overdraft_limit = overdraft_limit
        self.balance = 0
        self.history = []  # (kind, amount, balance_after)

    def _check_amount(self, amount):
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError("amount must be a positive int (cents)")

    def deposit(self, amount):
        self._check_amount(amount)
        self.balance += amount
        self.history.append(("deposit", amount, self.balance))

    def withdraw(self, amount):
        """The balance may go negative down to -overdraft_limit, not further."""
        self._check_amount(amount)
        if self.balance - amount < -self.overdraft_limit:
            raise InsufficientFunds(f"{self.owner} cannot withdraw {amount}")
        self.balance -= amount
        self.history.append(("withdraw", amount, self.balance))


def transfer(source, target, amount):
    """Move money between accounts; all or nothing."""
    source.withdraw(amount)
    target.deposit(amount)
