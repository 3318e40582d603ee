// The CRM hub capability: /hubs/{hub}/… routes, OpenAPI docs and trace logs.
import { forgetHubInstance, hubRoutes } from '../../http/routes/hub/index.ts';
import { onInstanceChange } from '../../platform/index.ts';
import { capabilities } from '../serve.ts';

let listening = false;

capabilities.push({
  plugins: (runtime) => {
    if (!listening) {
      listening = true;
      onInstanceChange(async (_event, instance) => forgetHubInstance(instance.id));
    }
    return [hubRoutes(runtime.deps)];
  },
});
