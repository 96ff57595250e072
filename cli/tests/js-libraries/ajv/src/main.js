// Ajv 6: JSON Schema (draft-07) validation. Ajv compiles every schema into a
// function with `new Function`, which Morph's sandbox runs inside itself.
import Ajv from "ajv";

function report(validate, data) {
  const valid = validate(data);
  return {
    valid,
    errors: (validate.errors || []).map((e) => ({
      keyword: e.keyword,
      dataPath: e.dataPath,
      schemaPath: e.schemaPath,
      params: e.params,
      message: e.message,
    })),
  };
}

const actions = {
  validate({ schema, data, options }) {
    const ajv = new Ajv(options);
    const validate = ajv.compile(schema);
    return data.map((d) => {
      const result = report(validate, d);
      result.text = validate.errors ? ajv.errorsText(validate.errors) : null;
      result.data = d; // after defaults, coercion and removal
      return result;
    });
  },
  references({ schemas, root, data }) {
    const ajv = new Ajv({ allErrors: true });
    for (const s of schemas) ajv.addSchema(s);
    const validate = ajv.getSchema(root);
    return data.map((d) => report(validate, d));
  },
  invalid_schemas({ schemas }) {
    const ajv = new Ajv();
    return schemas.map((s) => {
      const valid = ajv.validateSchema(s);
      let compiled;
      try {
        ajv.compile(s);
        compiled = "compiled";
      } catch (e) {
        compiled = e.message;
      }
      return { valid, text: ajv.errorsText(ajv.errors), compiled };
    });
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
