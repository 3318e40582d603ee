// GET /instances/{id} carries the element object (about 47 KB of JSON, the same for every instance of an element).
// Serialising it again for every answer cost most of the route's time: its JSON is made once per element object
// (cached and frozen by elementObject) and spliced into the answer.
import type { FastifyReply } from 'fastify';

const elementJson = new WeakMap<object, string>();

/** Sends the instance view as JSON text, its `element` spliced in from the per-element cache. */
export function sendSplicedInstance<T extends { element: object }>(reply: FastifyReply, view: T): FastifyReply {
  const { element, ...rest } = view;
  let json = elementJson.get(element);
  if (json === undefined) {
    json = JSON.stringify(element);
    // Only a frozen element is the shared, unchanging one; anything else is serialised each time.
    if (Object.isFrozen(element)) elementJson.set(element, json);
  }
  const head = JSON.stringify(rest);
  const body = head === '{}' ? `{"element":${json}}` : `${head.slice(0, -1)},"element":${json}}`;
  return reply.type('application/json; charset=utf-8').send(body);
}
