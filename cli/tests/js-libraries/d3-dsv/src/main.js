// d3-dsv: CSV and TSV parsing (rows, objects, type inference), formatting,
// and other delimiters.
import { csvParse, csvParseRows, csvFormat, csvFormatRows, tsvParse, tsvFormat, dsvFormat, autoType } from "d3-dsv";

function withColumns(rows) {
  return { rows: JSON.parse(JSON.stringify(rows)), columns: rows.columns };
}

const actions = {
  parse({ text }) {
    return {
      objects: withColumns(csvParse(text)),
      rows: csvParseRows(text),
      typed: withColumns(csvParse(text, autoType)),
      mapped: csvParseRows(text, (row, i) => (i === 0 ? null : { first: row[0], count: row.length })),
    };
  },
  format({ objects, rows, columns }) {
    return {
      csv: csvFormat(objects),
      csvColumns: csvFormat(objects, columns),
      rows: csvFormatRows(rows),
      tsv: tsvFormat(objects),
      semicolon: dsvFormat(";").format(objects),
    };
  },
  delimited({ text, delimiter }) {
    const dsv = dsvFormat(delimiter);
    const parsed = dsv.parse(text);
    return { parsed: withColumns(parsed), again: dsv.format(parsed), tsv: withColumns(tsvParse(text.split(delimiter).join("\t"))) };
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
