"""The credit agreement as printable HTML (no template engine: a short, escaped page)."""

from __future__ import annotations

import html
from collections.abc import Callable

from app.applications.table import ApplicationRow

_STYLE = """
body{font-family:Georgia,serif;max-width:50rem;margin:2rem auto;color:#111}
h1{font-size:1.4rem} table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border:1px solid #999;padding:.2rem .4rem;text-align:right} th{background:#eee}
.box{border:2px solid #111;padding:.5rem 1rem;display:inline-block;margin:.5rem 0}
@media print{body{margin:0}}
"""


def render(row: ApplicationRow, *, escape: Callable[[str], str] = html.escape) -> str:
    c = row.contract or {}
    rows = "".join(
        f"<tr><td>{p['number']}</td><td>{escape(p['date'])}</td><td>{p['payment']}</td>"
        f"<td>{p['principal']}</td><td>{p['interest']}</td><td>{p['balance']}</td></tr>"
        for p in c.get("payments", [])
    )
    signed = c.get("signed_at")
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Кредитный договор № {row.id}</title>
<style>{_STYLE}</style></head><body>
<h1>Кредитный договор № {row.id}</h1>
<div class="box">Полная стоимость кредита: <b>{escape(c.get("psk_percent", ""))} % годовых</b>
 ({escape(c.get("psk_amount", ""))} руб.)</div>
<p>Заёмщик: {escape(row.full_name)}, паспорт ****{escape(row.passport_number[-4:])}.</p>
<p>Программа: {escape(row.product_code)}. Сумма кредита: {row.amount} руб. Срок: {row.term_months} мес.
 Процентная ставка: {escape(c.get("annual_rate", ""))} % годовых. Ежемесячный платёж:
 {escape(c.get("regular_payment", ""))} руб. Дата выдачи: {escape(c.get("issue_date", ""))}.</p>
<h2>График платежей</h2>
<table><thead><tr><th>№</th><th>Дата</th><th>Платёж</th><th>Основной долг</th><th>Проценты</th>
<th>Остаток</th></tr></thead><tbody>{rows}</tbody></table>
<p>Итого платежей: {escape(c.get("total_payments", ""))} руб.</p>
<p>{"Подписан: " + escape(signed) if signed else "Не подписан."}</p>
</body></html>"""
