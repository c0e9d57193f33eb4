"""The small harness the tool tests share: named checks that count, report and set the exit status.

ctest runs each tool test as a script; a failed check prints its name and detail and the script
goes on, so one run lists every failure, then exits 1.
"""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def __call__(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failures.append(f"{name}: {detail}")
            print(f"FAILED {name}: {detail}")

    def summary(self):
        """Prints the counts; returns the exit status (1 when a check failed)."""
        print(f"{self.passed} passed, {len(self.failures)} failed")
        return 1 if self.failures else 0
