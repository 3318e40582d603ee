// Transformations capability: definitions, transformations, common resources, VDRs and the preview. The hub's
// own routes answer common-resource calls (see src/http/routes/transformations/hub.ts).
import { transformationRoutes } from '../../http/routes/transformations/index.ts';
import { capabilities } from '../serve.ts';

capabilities.push({
  plugins: (runtime) => [transformationRoutes(runtime.deps)],
});
