// The diagram a new process starts from: executable, one lane, a start event, a user task with a form, an end
// event. It passes the server's validator as it is (no reserved ids Start/End/Root, isExecutable="true").

export function newDiagramXml(key, { processName, laneId, laneName, taskName, fieldLabel }) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_${key}" targetNamespace="http://emflow.example/bpmn">
  <bpmn:collaboration id="Collaboration_${key}">
    <bpmn:participant id="Participant_${key}" name="${escape(processName)}" processRef="${key}" />
  </bpmn:collaboration>
  <bpmn:process id="${key}" name="${escape(processName)}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_${key}">
      <bpmn:lane id="${laneId}" name="${escape(laneName)}">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_Record</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1">
      <bpmn:outgoing>Flow_Start_Record</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Task_Record" name="${escape(taskName)}">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="summary" label="${escape(fieldLabel)}" type="string">
            <camunda:validation>
              <camunda:constraint name="required" config="true" />
            </camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_Start_Record</bpmn:incoming>
      <bpmn:outgoing>Flow_Record_End</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1">
      <bpmn:incoming>Flow_Record_End</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_Start_Record" sourceRef="StartEvent_1" targetRef="Task_Record" />
    <bpmn:sequenceFlow id="Flow_Record_End" sourceRef="Task_Record" targetRef="EndEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_${key}">
    <bpmndi:BPMNPlane id="BPMNPlane_${key}" bpmnElement="Collaboration_${key}">
      <bpmndi:BPMNShape id="Participant_${key}_di" bpmnElement="Participant_${key}" isHorizontal="true">
        <dc:Bounds x="160" y="80" width="760" height="250" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="${laneId}_di" bpmnElement="${laneId}" isHorizontal="true">
        <dc:Bounds x="190" y="80" width="730" height="250" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="242" y="187" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_Record_di" bpmnElement="Task_Record">
        <dc:Bounds x="330" y="165" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndEvent_1_di" bpmnElement="EndEvent_1">
        <dc:Bounds x="492" y="187" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_Start_Record_di" bpmnElement="Flow_Start_Record">
        <di:waypoint x="278" y="205" />
        <di:waypoint x="330" y="205" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_Record_End_di" bpmnElement="Flow_Record_End">
        <di:waypoint x="430" y="205" />
        <di:waypoint x="492" y="205" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

/** A process id the server accepts as a key: letters, digits and underscores, starting with a letter. */
export function newProcessKey(now = new Date()) {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `process_${stamp}`;
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}
