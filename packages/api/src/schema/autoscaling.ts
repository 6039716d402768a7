import type * as t from '../types/autoscaling';
import { arr, int, obj, oneOf, quantity, req, str, time } from './dsl';
import { conditionStatus, labelSelectorSchema, objectMetaSchema } from './meta';

const top = { apiVersion: req(str()), kind: req(str()), metadata: objectMetaSchema };

const metricTypes = () => oneOf<t.MetricSpec['type']>('Object', 'Pods', 'Resource', 'ContainerResource', 'External');

const metricTarget = obj<t.MetricTarget>('MetricTarget', {
  type: req(oneOf('Utilization', 'Value', 'AverageValue')),
  value: quantity(),
  averageValue: quantity(),
  averageUtilization: int(),
});

const metricIdentifier = obj<t.MetricIdentifier>('MetricIdentifier', { name: req(str()), selector: labelSelectorSchema });

const scalingRules = obj<t.HPAScalingRules>('HPAScalingRules', {
  stabilizationWindowSeconds: int(),
  selectPolicy: oneOf('Max', 'Min', 'Disabled'),
  policies: arr(
    obj<t.HPAScalingPolicy>('HPAScalingPolicy', {
      type: req(oneOf('Pods', 'Percent')),
      value: req(int()),
      periodSeconds: req(int()),
    }),
  ),
});

const metricValueStatus = obj<t.MetricValueStatus>('MetricValueStatus', {
  value: quantity(),
  averageValue: quantity(),
  averageUtilization: int(),
});

export const horizontalPodAutoscalerSchema = obj<t.HorizontalPodAutoscaler>('HorizontalPodAutoscaler', {
  ...top,
  spec: req(
    obj<t.HorizontalPodAutoscalerSpec>('HorizontalPodAutoscalerSpec', {
      scaleTargetRef: req(
        obj<t.CrossVersionObjectReference>('CrossVersionObjectReference', {
          kind: req(str()),
          name: req(str()),
          apiVersion: str(),
        }),
      ),
      minReplicas: int(),
      maxReplicas: req(int()),
      metrics: arr(
        obj<t.MetricSpec>('MetricSpec', {
          type: req(metricTypes()),
          resource: obj<t.ResourceMetricSource>('ResourceMetricSource', { name: req(str()), target: req(metricTarget) }),
          pods: obj<t.PodsMetricSource>('PodsMetricSource', { metric: req(metricIdentifier), target: req(metricTarget) }),
        }),
      ),
      behavior: obj<t.HorizontalPodAutoscalerBehavior>('HorizontalPodAutoscalerBehavior', {
        scaleUp: scalingRules,
        scaleDown: scalingRules,
      }),
    }),
  ),
  status: obj<t.HorizontalPodAutoscalerStatus>('HorizontalPodAutoscalerStatus', {
    observedGeneration: int(),
    lastScaleTime: time(),
    currentReplicas: int(),
    desiredReplicas: int(),
    currentMetrics: arr(
      obj<t.MetricStatus>('MetricStatus', {
        type: req(metricTypes()),
        resource: obj<t.ResourceMetricStatus>('ResourceMetricStatus', { name: req(str()), current: metricValueStatus }),
        pods: obj<t.PodsMetricStatus>('PodsMetricStatus', { metric: req(metricIdentifier), current: metricValueStatus }),
      }),
    ),
    conditions: arr(
      obj<t.HorizontalPodAutoscalerCondition>('HorizontalPodAutoscalerCondition', {
        type: req(str()),
        status: conditionStatus(),
        lastTransitionTime: time(),
        reason: str(),
        message: str(),
      }),
    ),
  }),
});
