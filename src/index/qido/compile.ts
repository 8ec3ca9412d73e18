import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { patientScopeClause } from '../patient-scope.js';
import { DEFAULT_PARTITION, instances, series, studies } from '../schema.js';
import type { Attribute, Level } from './attributes.js';
import { likeLiteral, likePattern } from './values.js';
import type { AttributeCondition, QidoCondition, QidoQuery, ValueMatch } from './parse.js';

/**
 * QidoQuery → the WHERE clause of a search (one exhaustive switch per condition kind). Every
 * user value — and every tag, though the parser validated it — goes in as a bound parameter;
 * no value is ever concatenated into SQL text. The FROM side is fixed per level by
 * search.repository.ts: `studies` at the study level, `series JOIN studies` at the series level,
 * `instances JOIN series JOIN studies` at the instance level, so conditions on any higher
 * level reference those tables directly.
 */
export function compileWhere(query: QidoQuery, partitionKey = DEFAULT_PARTITION): SQL {
  const { resource } = query;
  const base = baseTable(resource.level);
  const clauses: SQL[] = [sql`${base} = ${partitionKey}`];
  if (resource.studyInstanceUid !== undefined) {
    clauses.push(sql`${studies.studyInstanceUid} = ${resource.studyInstanceUid}`);
  }
  if (resource.seriesInstanceUid !== undefined) {
    clauses.push(sql`${series.seriesInstanceUid} = ${resource.seriesInstanceUid}`);
  }
  const scope = patientScopeClause(query.patientIds);
  if (scope) clauses.push(scope);
  for (const condition of query.conditions) clauses.push(compileCondition(condition));
  return sql.join(clauses, sql` AND `);
}

function baseTable(level: Level): AnyPgColumn {
  switch (level) {
    case 'study':
      return studies.partitionKey;
    case 'series':
      return series.partitionKey;
    case 'instance':
      return instances.partitionKey;
  }
}

/** Where a level's DICOM JSON lives. */
function jsonOf(level: Level): AnyPgColumn {
  switch (level) {
    case 'study':
      return studies.attributes;
    case 'series':
      return series.attributes;
    case 'instance':
      return instances.metadata;
  }
}

function compileCondition(condition: QidoCondition): SQL {
  switch (condition.kind) {
    case 'attribute':
      return compileAttribute(condition);
    case 'sequence': {
      // PS3.4 C.2.2.2.6: one item has to match all the sub-keys.
      const items = sql`${jsonOf(condition.sequence.level)} -> ${condition.sequence.tag}::text -> 'Value'`;
      const perItem = condition.items.map((c) => jsonCondition(sql`item.e`, c, 1));
      return sql`EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(${items}, '[]'::jsonb)) AS item(e) WHERE ${sql.join(perItem, sql` AND `)})`;
    }
    case 'datetime': {
      const combined = sql`(${condition.date.column!} || ${normalisedTime(sql`coalesce(${condition.time.column!}, '')`)})`;
      return rangeClause(combined, condition.bounds);
    }
  }
}

function compileAttribute(condition: AttributeCondition): SQL {
  const { attribute } = condition;
  if (attribute.matching === 'modalities') return modalitiesClause(condition);
  if (!attribute.column) {
    return jsonCondition(jsonOf(attribute.level), condition, 0);
  }
  const column = attribute.column;
  const parts = condition.values.map((v) => columnValue(attribute, column, v));
  return combine(parts, condition.combine);
}

function combine(parts: SQL[], how: 'any' | 'all'): SQL {
  if (parts.length === 1) return parts[0]!;
  return sql`(${sql.join(parts, how === 'any' ? sql` OR ` : sql` AND `)})`;
}

/** One value against a column holding the attribute's first value. */
function columnValue(attribute: Attribute, column: AnyPgColumn, value: ValueMatch): SQL {
  const pn = attribute.matching === 'pn';
  // PS3.4 C.2.2.2.1: PN may be matched case-insensitively; we do (and index upper()).
  const target = pn ? sql`upper(${column})` : sql`${column}`;
  switch (value.kind) {
    case 'literal':
      if (pn) {
        // The column holds `Alphabetic=Ideographic=Phonetic`: a name matches its first group.
        const upper = value.value.toUpperCase();
        return sql`(${target} = ${upper} OR ${target} LIKE ${likeLiteral(upper) + '=%'})`;
      }
      return sql`${target} = ${value.value}`;
    case 'wildcard': {
      const pattern = likePattern(pn ? value.pattern.toUpperCase() : value.pattern);
      const like = sql`${target} LIKE ${pattern} ESCAPE '\\'`;
      // As for literals, a name matches its first component group: `*JOHN` must match
      // `DOE^JOHN=…` too. A pattern ending in `*` already covers the other groups.
      if (!pn || value.pattern.endsWith('*')) return like;
      return sql`(${like} OR ${target} LIKE ${pattern + '=%'} ESCAPE '\\')`;
    }
    case 'range':
      return rangeClause(
        attribute.matching === 'time' ? normalisedTime(sql`${column}`) : sql`${column}`,
        value.bounds,
      );
    case 'number':
      return sql`${column} = ${value.value}::numeric`;
    case 'empty':
      return sql`(${column} IS NULL OR ${column}::text = '')`;
    case 'fuzzy': {
      const fuzzy = attribute.fuzzyColumn!;
      const words = value.words.map(
        (w) => sql`${fuzzy} LIKE ${'% ' + likePattern(w.replace(/\*+$/, '')) + '%'} ESCAPE '\\'`,
      );
      return words.length === 0 ? sql`TRUE` : sql`(${sql.join(words, sql` AND `)})`;
    }
  }
}

/** TM text → 12 digits (HHMMSS + fraction), the form values.ts normalises bounds to. */
function normalisedTime(expr: SQL): SQL {
  return sql`(rpad(split_part(${expr}, '.', 1), 6, '0') || rpad(split_part(${expr}, '.', 2), 6, '0'))`;
}

/** DT text → 20 digits (offset dropped: DT ranges compare local values, documented). */
function normalisedDateTime(expr: SQL): SQL {
  const local = sql`split_part(split_part(${expr}, '+', 1), '-', 1)`;
  return sql`(rpad(split_part(${local}, '.', 1), 14, '0') || rpad(split_part(${local}, '.', 2), 6, '0'))`;
}

function rangeClause(expr: SQL, bounds: { from?: string; to?: string }): SQL {
  if (bounds.from !== undefined && bounds.from === bounds.to) return sql`${expr} = ${bounds.from}`;
  const parts: SQL[] = [];
  if (bounds.from !== undefined) parts.push(sql`${expr} >= ${bounds.from}`);
  if (bounds.to !== undefined) parts.push(sql`${expr} <= ${bounds.to}`);
  if (parts.length === 0) return sql`TRUE`;
  return sql`(${sql.join(parts, sql` AND `)})`;
}

/**
 * ModalitiesInStudy (and Modality at the study level): the study has a series of one of the
 * modalities; with Multiple Value Matching, of every one (PS3.4 C.2.2.2.8 note 1: CT\PT
 * matches studies with both a CT and a PT series). Served by series_modality_idx.
 */
function modalitiesClause(condition: AttributeCondition): SQL {
  const one = (values: ValueMatch[]) => {
    const matches = values.map((v) => {
      switch (v.kind) {
        case 'literal':
          return sql`ms.modality = ${v.value}`;
        case 'wildcard':
          return sql`ms.modality LIKE ${likePattern(v.pattern)} ESCAPE '\\'`;
        case 'empty':
          return sql`(ms.modality IS NULL OR ms.modality = '')`;
        case 'range':
        case 'number':
        case 'fuzzy':
          return sql`FALSE`;
      }
    });
    return sql`EXISTS (SELECT 1 FROM ${series} AS ms WHERE ms.study_fk = ${studies.id} AND ${combine(matches, 'any')})`;
  };
  if (condition.combine === 'all' && condition.values.length > 1) {
    return sql`(${sql.join(
      condition.values.map((v) => one([v])),
      sql` AND `,
    )})`;
  }
  return one(condition.values);
}

/**
 * An attribute matched inside DICOM JSON (`container` is a level's dataset or a sequence item):
 * a multi-valued attribute matches when any of its values does (PS3.4 C.2.2.3); with Multiple
 * Value Matching every key value must be among them.
 */
function jsonCondition(
  container: SQL | AnyPgColumn,
  condition: AttributeCondition,
  depth: number,
): SQL {
  const { attribute } = condition;
  const values = sql`(${container} -> ${attribute.tag}::text -> 'Value')`;
  if (condition.values.some((v) => v.kind === 'empty')) {
    return sql`coalesce(jsonb_array_length(${values}), 0) = 0`;
  }
  const alias = sql.raw(`v${depth}`);
  const text =
    attribute.matching === 'pn'
      ? sql`upper(${alias}.e ->> 'Alphabetic')`
      : sql`(${alias}.e #>> '{}')`;
  const exists = (parts: SQL[]) =>
    sql`EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(${values}, '[]'::jsonb)) AS ${alias}(e) WHERE ${combine(parts, 'any')})`;
  const predicate = (v: ValueMatch): SQL => {
    switch (v.kind) {
      case 'literal':
        return sql`${text} = ${attribute.matching === 'pn' ? v.value.toUpperCase() : v.value}`;
      case 'wildcard':
        return sql`${text} LIKE ${likePattern(attribute.matching === 'pn' ? v.pattern.toUpperCase() : v.pattern)} ESCAPE '\\'`;
      case 'range': {
        const expr =
          attribute.matching === 'time'
            ? normalisedTime(text)
            : attribute.matching === 'datetime'
              ? normalisedDateTime(text)
              : text;
        return rangeClause(expr, v.bounds);
      }
      case 'number':
        return sql`(CASE WHEN jsonb_typeof(${alias}.e) = 'number' THEN (${alias}.e)::text::numeric END) = ${v.value}::numeric`;
      case 'fuzzy':
      case 'empty':
        return sql`FALSE`;
    }
  };
  if (condition.combine === 'all' && condition.values.length > 1) {
    return sql`(${sql.join(
      condition.values.map((v) => exists([predicate(v)])),
      sql` AND `,
    )})`;
  }
  return exists(condition.values.map(predicate));
}
