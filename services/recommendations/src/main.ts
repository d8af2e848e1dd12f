import { runService } from '@emporium/kit';
import service from './service.ts';

await runService(service);
