// Fixture answers and request bodies checked against the server's OpenAPI document (the committed
// slice in snapshot.json, regenerated from the server by generate.py). Every object schema there is
// closed (additionalProperties: false), so a fixture with an invented or renamed field fails, and so
// does one missing a required field.
const Ajv2020 = require('ajv/dist/2020').default
const snapshot = require('./snapshot.json')

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
Object.keys(snapshot.schemas).forEach(name => {
  ajv.addSchema(snapshot.schemas[name], `#/components/schemas/${name}`)
})

function shape(path) {
  return path.replace(/\/:[A-Za-z]+/g, '/{}').replace(/\/\{[A-Za-z_]+\}/g, '/{}')
}

/** The operation for `METHOD /path/:param` (or a concrete path), or undefined. */
function operation(method, path) {
  const exact = snapshot.operations[`${method} ${shape(path)}`]
  if (exact) return exact
  // A concrete path: match each {param} segment against any value.
  return Object.keys(snapshot.operations)
    .filter(key => key.split(' ')[0] === method)
    .map(key => ({ key, re: new RegExp(`^${key.split(' ')[1].replace(/\{\}/g, '[^/]+')}$`) }))
    .filter(({ re }) => re.test(path))
    .map(({ key }) => snapshot.operations[key])
    .sort((a, b) => b.path.length - a.path.length)[0]
}

const compiled = new Map()
function validator(schema) {
  const key = JSON.stringify(schema)
  if (!compiled.has(key)) compiled.set(key, ajv.compile(schema))
  return compiled.get(key)
}

function problems(schema, value) {
  const validate = validator(schema)
  if (validate(value)) return []
  return validate.errors.map(e => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`)
}

/** Throw when `body` is not what the server documents for `method path` answering `status`. */
function checkResponse(method, path, status, body) {
  const op = operation(method, path)
  if (!op) throw new Error(`${method} ${path} is not in the server's OpenAPI document (test/openapi/snapshot.json)`)
  const declared = op.responses[String(status)]
  if (!declared) throw new Error(`${method} ${path} does not declare a ${status} answer`)
  const schema = declared.content && declared.content['application/json'] && declared.content['application/json'].schema
  if (!schema) return
  const found = problems(schema, body)
  if (found.length) throw new Error(`fixture for ${status} ${method} ${path} differs from the server's schema:\n  ${found.join('\n  ')}`)
}

/** Throw when the mini program sends a JSON body the server would refuse by its schema. */
function checkRequest(method, path, body) {
  const op = operation(method, path)
  if (!op) throw new Error(`${method} ${path} is not in the server's OpenAPI document (test/openapi/snapshot.json)`)
  const content = op.requestBody && op.requestBody.content && op.requestBody.content['application/json']
  if (!content || body === undefined) return
  const found = problems(content.schema, body)
  if (found.length) throw new Error(`the mini program's ${method} ${path} body breaks the server's schema:\n  ${found.join('\n  ')}`)
}

module.exports = { snapshot, operation, checkResponse, checkRequest, problems }
