// The bpmn-js pieces the pages use, in one place: the Modeler with the Camunda 7 properties panel (formData,
// lanes, timers, conditions editable), and the NavigatedViewer for read-only diagrams. Both understand the
// camunda: attributes.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import { TranslateModule } from './translate.js';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

const moddleExtensions = { camunda: camundaModdle };

export function createModeler(container, propertiesParent) {
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: propertiesParent },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
      TranslateModule,
    ],
    moddleExtensions,
  });
}

export function createViewer(container) {
  return new NavigatedViewer({ container, additionalModules: [TranslateModule], moddleExtensions });
}

/** Import XML and fit it into the viewport (once it is on the page); import warnings are returned, not thrown. */
export async function show(bpmnjs, xml) {
  const { warnings } = await bpmnjs.importXML(xml);
  const canvas = bpmnjs.get('canvas');
  const { width, height } = canvas.getContainer().getBoundingClientRect();
  if (width > 0 && height > 0) canvas.zoom('fit-viewport', 'auto');
  return warnings;
}

/** The diagram element a server-side problem or history event names: the element itself, or for a process id
 * the participant (pool) that shows it. */
export function elementFor(bpmnjs, id) {
  if (!id) return null;
  const registry = bpmnjs.get('elementRegistry');
  return registry.get(id)
    || registry.find((element) => element.businessObject?.processRef?.id === id)
    || null;
}

/** Replace the markers of a set of classes: `marks` maps element id → class. */
export function setMarkers(bpmnjs, marks, classes) {
  const canvas = bpmnjs.get('canvas');
  const registry = bpmnjs.get('elementRegistry');
  registry.forEach((element) => classes.forEach((cls) => canvas.removeMarker(element, cls)));
  for (const [id, cls] of Object.entries(marks)) {
    const element = elementFor(bpmnjs, id);
    if (element) canvas.addMarker(element, cls);
  }
}
