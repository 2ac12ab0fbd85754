"""Never registers: imports fine, then sleeps (launch must time out and kill it)."""

import time

time.sleep(60)
