// Greets whoever the event names, in ESM on Node.js: fails on a missing name or an unknown
// language (as an unhandled function error whose errorType is the error's name).

const GREETINGS = { en: "Hello", fr: "Bonjour", es: "Hola", de: "Hallo" };

class InvalidInput extends Error {
  name = "InvalidInput";
}

export const handler = async (event, context) => {
  const name = typeof event?.name === "string" ? event.name.trim() : "";
  if (!name) {
    throw new InvalidInput("event needs a non-empty string 'name'");
  }
  const lang = event.lang ?? process.env.DEFAULT_LANG ?? "en";
  if (!Object.hasOwn(GREETINGS, lang)) {
    throw new InvalidInput(`no greeting in '${lang}' (${Object.keys(GREETINGS).join(", ")})`);
  }
  console.log(`greeting ${name} in ${lang}`);
  return { message: `${GREETINGS[lang]}, ${name}!`, requestId: context.awsRequestId };
};
