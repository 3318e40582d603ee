import './capabilities/hub.ts';
import './capabilities/web.ts';
import './capabilities/events.ts';
import './capabilities/bulk.ts';
import './capabilities/transform.ts';
import './capabilities/operations.ts';
