"""PSK limit tables by quarter (the shipped 2025Q3 table loaded); the application's income source and PDN

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import json
from datetime import date, datetime, timezone
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'psk_limit_table',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=6), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=False),
        sa.Column('source_url', sa.String(length=500), nullable=False),
        sa.Column('table', sa.JSON(), nullable=False),
        sa.Column('loaded_by', sa.String(length=200), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('quarter', 'version'),
    )
    with op.batch_alter_table('psk_limit_table', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_psk_limit_table_quarter'), ['quarter'], unique=False)
    _load_shipped_table(table)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('income_source', sa.String(length=24), nullable=False, server_default='declared')
        )
        batch_op.add_column(sa.Column('pdn_details', sa.JSON(), nullable=True))


def _load_shipped_table(table: sa.Table) -> None:
    """The one published table shipped (partial 2025Q3, docs/pricing.md), as version 1; its
    text is kept here so the migration stays what it was if the file is corrected later."""
    data = json.loads(_SHIPPED_2025Q3)
    op.bulk_insert(table, [{
        'quarter': data['quarter'], 'version': 1, 'valid_from': date(2025, 7, 1), 'valid_to': date(2025, 9, 30),
        'source_url': data['source']['url'], 'table': data, 'loaded_by': 'migration 0007',
        'loaded_at': datetime(2026, 12, 3, tzinfo=timezone.utc),
    }])


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('pdn_details')
        batch_op.drop_column('income_source')
    with op.batch_alter_table('psk_limit_table', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_psk_limit_table_quarter'))
    op.drop_table('psk_limit_table')


_SHIPPED_2025Q3 = r'''
{
 "quarter": "2025Q3",
 "valid_from": "2025-07-01",
 "lender_type": "credit_organisation",
 "source": {
  "title": "Информация Банка России: среднерыночные значения полной стоимости потребительских кредитов (займов) в процентах годовых за период с 1 января 2025 г. по 31 марта 2025 г. (применяются для договоров потребительского кредита (займа), заключаемых кредитными организациями с физическими лицами (изменяемых) в III квартале 2025 года)",
  "url": "https://www.garant.ru/products/ipo/prime/doc/411925014",
  "retrieved": "2026-12-03",
  "note": "Partial: only rows 1.1, 1.2, 2.1.1, 2.1.2, 2.2.1 and 2.2.2 were readable in the copy found; the other categories (row 3 onwards: refinancing, POS, non-targeted loans by amount and term, secured loans) are missing and are listed in `missing`."
 },
 "missing": [
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
  "10"
 ],
 "rows": [
  {
   "category": "1.1",
   "title": "На приобретение автотранспортного средства с его залогом: автомобили с пробегом от 0 до 1000 км",
   "purpose": "car",
   "secured": true,
   "amount_min": null,
   "amount_max": null,
   "term_days_min": null,
   "term_days_max": null,
   "average_percent": "26.699",
   "limit_percent": "35.599"
  },
  {
   "category": "1.2",
   "title": "На приобретение автотранспортного средства с его залогом: автомобили с пробегом свыше 1000 км",
   "purpose": "car",
   "secured": true,
   "amount_min": null,
   "amount_max": null,
   "term_days_min": null,
   "term_days_max": null,
   "average_percent": "28.230",
   "limit_percent": "37.640"
  },
  {
   "category": "2.1.1",
   "title": "С использованием электронного средства платежа, до 100 тыс. руб.: при использовании в безналичном порядке",
   "purpose": "card",
   "secured": null,
   "amount_min": null,
   "amount_max": "100000",
   "term_days_min": null,
   "term_days_max": null,
   "average_percent": "48.245",
   "limit_percent": "64.327"
  },
  {
   "category": "2.1.2",
   "title": "С использованием электронного средства платежа, до 100 тыс. руб.: при использовании путем снятия наличных",
   "purpose": "card",
   "secured": null,
   "amount_min": null,
   "amount_max": "100000",
   "term_days_min": null,
   "term_days_max": null,
   "average_percent": "48.951",
   "limit_percent": "65.268"
  },
  {
   "category": "2.2.1",
   "title": "С использованием электронного средства платежа, свыше 100 тыс. руб.: при использовании в безналичном порядке",
   "purpose": "card",
   "secured": null,
   "amount_min": "100000",
   "amount_max": null,
   "term_days_min": null,
   "term_days_max": null,
   "average_percent": "44.514",
   "limit_percent": "59.352"
  },
  {
   "category": "2.2.2",
   "title": "С использованием электронного средства платежа, свыше 100 тыс. руб.: при использовании путем снятия наличных",
   "purpose": "card",
   "secured": null,
   "amount_min": "100000",
   "amount_max": null,
   "term_days_min": null,
   "term_days_max": null,
   "average_percent": "44.612",
   "limit_percent": "59.483"
  }
 ]
}
'''
