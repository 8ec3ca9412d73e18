/**
 * Date shifting for the Retain Longitudinal Temporal Information with Modified Dates Option
 * (PS3.15 E.3.6): every date moves by the same number of days, so intervals between studies
 * stay true while the calendar dates do not identify. DA is YYYYMMDD (PS3.5 Table 6.2-1), DT
 * starts with YYYYMMDD and its time and offset stay as they are. A value that is not a date
 * (empty, partial, malformed) is returned unchanged for DT and emptied for DA, so nothing
 * unparsed survives a shift by accident.
 */
export function shiftDa(value: string, days: number): string {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  return shiftYmd(trimmed.slice(0, 8), days) ?? '';
}

export function shiftDt(value: string, days: number): string {
  const trimmed = value.trim();
  if (trimmed.length < 8) return '';
  const shifted = shiftYmd(trimmed.slice(0, 8), days);
  return shifted === undefined ? '' : shifted + trimmed.slice(8);
}

function shiftYmd(ymd: string, days: number): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(ymd);
  if (!match) return undefined;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(time)) return undefined;
  const date = new Date(time + days * 86_400_000);
  const y = date.getUTCFullYear();
  if (y < 1 || y > 9999) return undefined;
  return (
    String(y).padStart(4, '0') +
    String(date.getUTCMonth() + 1).padStart(2, '0') +
    String(date.getUTCDate()).padStart(2, '0')
  );
}
